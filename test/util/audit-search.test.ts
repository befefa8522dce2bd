import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditLog, type AuditLog } from '../../src/util/audit.js';
import { ManualClock } from '../../src/util/clock.js';

let dir: string;
let log: AuditLog;

afterEach(() => {
  log?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** 30 entries, rotated every ~600 bytes, one minute apart, alternating outcome and user. */
function filled(keep = 10): ManualClock {
  dir = mkdtempSync(path.join(tmpdir(), 'smsotpd-audit-'));
  const clock = new ManualClock(Date.UTC(2026, 11, 7, 8, 0));
  log = openAuditLog(dir, { maxBytes: 600, keep, clock });
  for (let i = 0; i < 30; i++) {
    log.write({
      action: i % 3 === 0 ? 'POST /auth' : 'POST /validate/check',
      user: i % 2 ? 'alice' : 'bob',
      client: `10.0.0.${i}`,
      result: i % 2 === 0,
      serial: `S${i}`,
    });
    clock.advance(60_000);
  }
  return clock;
}

describe('AuditLog.search', () => {
  it('reads the live log and every rotated generation, newest entry first', async () => {
    filled();
    expect(readdirSync(dir).filter((f) => f.startsWith('audit.log.')).length).toBeGreaterThan(2);
    const r = await log.search({}, 100);
    expect(r.rows.map((e) => e.serial)).toEqual(Array.from({ length: 30 }, (_, i) => `S${29 - i}`));
    expect(r).toMatchObject({ truncated: false, more: false });
  });

  it('filters by user or administrator, action, outcome, client and time range, case-insensitively', async () => {
    const clock = filled();
    const start = clock.now() - 30 * 60_000;
    expect((await log.search({ user: 'ALICE' }, 100)).rows.every((e) => e.user === 'alice')).toBe(true);
    expect((await log.search({ user: 'alice' }, 100)).rows).toHaveLength(15);
    expect((await log.search({ action: '/auth' }, 100)).rows).toHaveLength(10);
    expect((await log.search({ result: 'ok' }, 100)).rows.every((e) => e.result === true)).toBe(true);
    expect((await log.search({ result: 'fail' }, 100)).rows).toHaveLength(15);
    expect((await log.search({ client: '10.0.0.29' }, 100)).rows.map((e) => e.serial)).toEqual(['S29']);
    const window = await log.search({ from: start + 5 * 60_000, to: start + 7 * 60_000 }, 100);
    expect(window.rows.map((e) => e.serial)).toEqual(['S7', 'S6', 'S5']);
    log.write({ action: 'console: login', administrator: 'Alice-Admin', result: true });
    expect((await log.search({ user: 'alice-admin' }, 100)).rows.map((e) => e.action)).toEqual(['console: login']);
  });

  it('stops at the limit and says more match', async () => {
    filled();
    const r = await log.search({ user: 'bob' }, 4);
    expect(r.rows.map((e) => e.serial)).toEqual(['S28', 'S26', 'S24', 'S22']);
    expect(r).toMatchObject({ more: true, truncated: false });
  });

  it('skips a torn line (a crash mid-append) and lines that are not JSON', async () => {
    filled();
    appendFileSync(path.join(dir, 'audit.log'), '{"time":"2026-12-07T09:00:00.000Z","action":"POST /au');
    const r = await log.search({}, 100);
    expect(r.rows).toHaveLength(30);
    expect(r.rows[0]!.serial).toBe('S29');
  });

  it('an empty or missing log gives no rows, not an error', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'smsotpd-audit-'));
    log = openAuditLog(dir, { maxBytes: 1 << 20, keep: 3 });
    expect(await log.search({}, 10)).toEqual({ rows: [], truncated: false, more: false });
  });
});
