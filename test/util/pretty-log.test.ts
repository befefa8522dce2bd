import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/util/logger.js';
import { formatLogLine, prettyStream, wantPretty } from '../../src/util/pretty-log.js';

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('readable log lines', () => {
  it('time, level, part and message first, then the fields; secrets still redacted', async () => {
    const out = collect();
    const pretty = prettyStream(out.stream, false);
    const log = createLogger({ destination: pretty });
    log.child({ part: 'store' }).info({ dataDir: '/var/lib/smsotpd', seq: 0, pin: '4711', note: 'two words' }, 'store opened');
    await new Promise((r) => setImmediate(r));
    const line = out.text().trim();
    expect(line).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO {2}store: store opened dataDir=\/var\/lib\/smsotpd seq=0 pin=\[redacted\] note="two words"$/,
    );
    expect(line).not.toContain('4711');
  });

  it('an error shows its message, and its stack below at level error', () => {
    const err = new Error('disk on fire');
    const rec = JSON.stringify({ level: 50, time: 0, msg: 'write failed', err: { type: 'Error', message: err.message, stack: err.stack } });
    const text = formatLogLine(rec);
    expect(text.split('\n')[0]).toMatch(/ERROR write failed err="disk on fire"$/);
    expect(text.split('\n')[1]).toMatch(/^ {4}at /);
  });

  it('passes through what is not a pino line, and joins a line split across writes', async () => {
    expect(formatLogLine('plain text')).toBe('plain text');
    expect(formatLogLine('{"no":"level"}')).toBe('{"no":"level"}');
    const out = collect();
    const s = prettyStream(out.stream, true);
    const rec = JSON.stringify({ level: 40, time: 0, msg: 'split' });
    s.write(rec.slice(0, 10));
    s.write(`${rec.slice(10)}\nnot json\n`);
    await new Promise<void>((r) => s.end(r));
    expect(out.text()).toMatch(/\x1b\[33mWARN \x1b\[0m split\nnot json\n$/);
  });

  it('readable on a terminal, JSON in a pipe or the journal; SMSOTPD_LOG_FORMAT decides', () => {
    expect(wantPretty({ isTTY: true }, {})).toBe(true);
    expect(wantPretty({ isTTY: false }, {})).toBe(false);
    expect(wantPretty({ isTTY: true }, { SMSOTPD_LOG_FORMAT: 'json' })).toBe(false);
    expect(wantPretty({}, { SMSOTPD_LOG_FORMAT: 'pretty' })).toBe(true);
  });
});
