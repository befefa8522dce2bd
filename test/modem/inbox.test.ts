import { describe, expect, it } from 'vitest';
import {
  cnmiStoresReports,
  cnmiStoresSms,
  IncomingStore,
  isReceivedStat,
  parseCmgl,
  parseCmgr,
  parseCpmsUsage,
  parseStoredUrc,
  readPdu,
  slotName,
  VOLATILE_MAX,
  type Due,
} from '../../src/modem/inbox.js';
import { encodeDeliver, encodeStatusReport, encodeSubmit } from '../../src/modem/pdu.js';

const T = Date.UTC(2026, 11, 4, 10, 0, 0);
const FROM = '+4915112345678';
const one = (text: string, o: { from?: string; t?: number } = {}) => encodeDeliver({ from: o.from ?? FROM, text, t: o.t ?? T })[0]!;
/** A three-part message: 153 a, 153 b, 100 c. */
const TEXT3 = 'a'.repeat(153) + 'b'.repeat(153) + 'c'.repeat(100);
const three = (ref: number, o: { from?: string; t?: number; text?: string } = {}) =>
  encodeDeliver({ from: o.from ?? FROM, text: o.text ?? TEXT3, t: o.t ?? T, concatRef: ref });
const REPORT = encodeStatusReport({ reference: 7, recipient: '+4917612345678', submittedAt: T, dischargedAt: T + 5000, status: 0 });
const sm = (index: number) => ({ mem: 'SM', index });

const kinds = (d: Due[]) => d.map((x) => x.kind);
const smsOf = (d: Due | undefined) => {
  if (d?.kind !== 'sms') throw new Error(`not an sms: ${d?.kind}`);
  return d;
};

describe('incoming store: single messages and reports', () => {
  it('a stored SMS is due at once with its slot; taken, only its deletion is left; removed, nothing', () => {
    const s = new IncomingStore();
    expect(s.add(sm(3), one('Credit low'), 100)).toBe('new');
    const [d] = s.due(100);
    expect(d).toEqual({
      kind: 'sms',
      ids: [expect.any(Number)],
      slots: [sm(3)],
      sms: { from: FROM, text: 'Credit low', t: T, parts: 1, missing: [], why: 'whole' },
    });
    expect(s.size).toBe(1);
    s.taken(smsOf(d).ids);
    expect(s.due(100)).toEqual([{ kind: 'delete', ids: smsOf(d).ids, slots: [sm(3)] }]);
    expect(s.size).toBe(1);
    s.remove(sm(3));
    expect(s.due(100)).toEqual([]);
    expect(s.size).toBe(0);
  });

  it('the same PDU in the same slot again changes nothing; another PDU in a known slot replaces it (the slot was reused)', () => {
    const s = new IncomingStore();
    s.add(sm(1), one('first'), 0);
    expect(s.add(sm(1), one('first').toLowerCase(), 50)).toBe('known');
    expect(s.due(60)).toHaveLength(1);
    expect(s.add(sm(1), one('second'), 70)).toBe('new');
    expect(s.due(80).map((d) => smsOf(d).sms.text)).toEqual(['second']);
    // Other memories and indices are other slots.
    s.add({ mem: 'ME', index: 1 }, one('first'), 90);
    s.add(sm(2), one('first'), 95);
    expect(s.due(100).map((d) => smsOf(d).sms.text)).toEqual(['second', 'first', 'first']);
    s.remove(sm(9));
    expect(s.size).toBe(3);
  });

  it('status reports are due as reports, also when they sit in the SIM store', () => {
    const s = new IncomingStore();
    s.add({ mem: 'SR', index: 0 }, REPORT, 5);
    s.add(sm(4), REPORT, 6);
    const d = s.due(10);
    expect(kinds(d)).toEqual(['report', 'report']);
    expect(d[0]).toMatchObject({
      slots: [{ mem: 'SR', index: 0 }],
      report: { reference: 7, recipient: '+4917612345678', status: 0, outcome: 'delivered' },
    });
    expect(d[1]).toMatchObject({ slots: [sm(4)] });
  });

  it('an unreadable PDU is handed over as such (never dropped in silence), sender "unknown", its arrival as time', () => {
    const s = new IncomingStore();
    const submit = encodeSubmit({ to: '+491', text: 'x' })[0]!.hex;
    s.add(sm(2), submit, 1234);
    const d = smsOf(s.due(2000)[0]);
    expect(d.sms).toEqual({
      from: 'unknown',
      text: `[unreadable SMS (not an SMS-DELIVER): ${submit.toUpperCase()}]`,
      t: 1234,
      parts: 1,
      missing: [],
      why: 'unreadable',
    });
  });

  it('readPdu: deliver, report, and what is neither or too long', () => {
    expect(readPdu(one('hi'))).toMatchObject({ kind: 'part', d: { from: FROM, text: 'hi', t: T } });
    expect(readPdu(REPORT)).toMatchObject({ kind: 'report', r: { reference: 7 } });
    // A report behind an SMSC field (its length octet says how much to skip).
    expect(readPdu(`0791947106004034${REPORT.slice(2)}`)).toMatchObject({ kind: 'report', r: { reference: 7 } });
    expect(readPdu(`0791947106004034${one('hi').slice(2)}`)).toMatchObject({ kind: 'part', d: { text: 'hi' } });
    expect(readPdu('zz')).toEqual({ kind: 'unreadable', reason: 'PDU is not hex' });
    expect(readPdu('0004')).toEqual({ kind: 'unreadable', reason: 'PDU is truncated' });
    expect(readPdu('00'.repeat(201))).toEqual({ kind: 'unreadable', reason: 'longer than any PDU' });
    expect(readPdu('00'.repeat(200)).kind).not.toBe('unreadable');
  });

  it('due lists the oldest first (by when each was seen)', () => {
    const s = new IncomingStore();
    s.add(sm(5), one('late'), 300);
    s.add(sm(1), one('early'), 100);
    s.add(sm(3), one('middle'), 200);
    expect(s.due(400).map((d) => smsOf(d).sms.text)).toEqual(['early', 'middle', 'late']);
  });
});

describe('incoming store: concatenated parts stay on the SIM until the whole message is handed over', () => {
  it('parts in any order; nothing is due until the last is in; then one message with every slot', () => {
    const s = new IncomingStore();
    const p = three(42);
    s.add(sm(2), p[1]!, 10);
    s.add(sm(7), p[2]!, 20);
    expect(s.due(30)).toEqual([]);
    s.add(sm(4), p[0]!, 40);
    const [d, ...rest] = s.due(50);
    expect(rest).toEqual([]);
    expect(smsOf(d).sms).toEqual({ from: FROM, text: TEXT3, t: T, parts: 3, missing: [], why: 'whole' });
    expect(smsOf(d).slots).toEqual([sm(2), sm(7), sm(4)]);
    expect(smsOf(d).ids).toHaveLength(3);
  });

  it('a concatenation header that says one part is a whole message', () => {
    const part = three(4)[0]!;
    // UDH 05 00 03 <ref> <total> <seq>: total 3 becomes 1.
    const single = part.replace(/050003040301/, '050003040101');
    expect(single).not.toBe(part);
    const s = new IncomingStore();
    s.add(sm(1), single, 0);
    expect(smsOf(s.due(0)[0]).sms).toMatchObject({ text: 'a'.repeat(153), parts: 1, why: 'whole' });
  });

  it('a message whose first part came before a single SMS is handed over first', () => {
    const s = new IncomingStore();
    const p = three(2);
    s.add(sm(1), p[0]!, 10);
    s.add(sm(2), one('single'), 20);
    s.add(sm(3), p[1]!, 30);
    s.add(sm(4), p[2]!, 40);
    expect(s.due(50).map((d) => smsOf(d).sms.parts)).toEqual([3, 1]);
  });

  it('the time stamp is the earliest part’s', () => {
    const s = new IncomingStore();
    const a = encodeDeliver({ from: FROM, text: TEXT3, t: T + 9000, concatRef: 1 });
    const b = encodeDeliver({ from: FROM, text: TEXT3, t: T, concatRef: 1 });
    s.add(sm(1), a[0]!, 0);
    s.add(sm(2), b[1]!, 0);
    s.add(sm(3), a[2]!, 0);
    expect(smsOf(s.due(1)[0]).sms.t).toBe(T);
  });

  it('parts are told apart by sender, reference and count', () => {
    const s = new IncomingStore();
    s.add(sm(1), three(1)[0]!, 0);
    s.add(sm(2), three(2)[1]!, 0);
    s.add(sm(3), three(1, { from: '+4900' })[2]!, 0);
    s.add(sm(4), encodeDeliver({ from: FROM, text: 'z'.repeat(200), t: T, concatRef: 1 })[1]!, 0);
    expect(s.due(1)).toEqual([]);
    s.add(sm(5), three(1)[1]!, 0);
    s.add(sm(6), three(1)[2]!, 0);
    expect(s.due(1).map((d) => smsOf(d).slots)).toEqual([[sm(1), sm(5), sm(6)]]);
  });

  it('a part the network delivered twice is one part; both copies leave the SIM with the message', () => {
    const s = new IncomingStore();
    const p = three(9);
    s.add(sm(1), p[0]!, 0);
    s.add(sm(2), p[0]!, 1);
    s.add(sm(3), p[1]!, 2);
    expect(s.due(3)).toEqual([]);
    s.add(sm(4), p[2]!, 3);
    const d = smsOf(s.due(4)[0]);
    expect(d.sms.text).toBe(TEXT3);
    expect(d.slots).toEqual([sm(1), sm(3), sm(4), sm(2)]);
  });

  it('a new message reusing the reference: the old parts can never complete and go at once, incomplete', () => {
    const s = new IncomingStore();
    s.add(sm(1), three(5)[0]!, 0);
    s.add(sm(2), three(5)[1]!, 1);
    const other = three(5, { text: 'x'.repeat(153) + 'y'.repeat(153) + 'z'.repeat(10) });
    s.add(sm(3), other[0]!, 2);
    const [d, ...rest] = s.due(3);
    expect(rest).toEqual([]);
    expect(smsOf(d).sms).toEqual({
      from: FROM,
      text: 'a'.repeat(153) + 'b'.repeat(153) + '[part 3 of 3 missing]',
      t: T,
      parts: 3,
      missing: [3],
      why: 'superseded',
    });
    expect(smsOf(d).slots).toEqual([sm(1), sm(2)]);
  });

  it('parts whose siblings never come are handed over after maxAgeMs, marked, counted from the first part seen', () => {
    const s = new IncomingStore({ maxAgeMs: 60_000 });
    const p = three(3);
    s.add(sm(1), p[2]!, 1000);
    s.add(sm(2), p[0]!, 5000);
    expect(s.nextWake(1000)).toBe(61_000);
    expect(s.nextWake(60_999)).toBe(61_000);
    // Each part wakes at its own age: an extra wake-up, never a missed one.
    expect(s.nextWake(61_000)).toBe(65_000);
    expect(s.due(60_999)).toEqual([]);
    const d = smsOf(s.due(61_000)[0]);
    expect(d.sms).toEqual({
      from: FROM,
      text: 'a'.repeat(153) + '[part 2 of 3 missing]' + 'c'.repeat(100),
      t: T,
      parts: 3,
      missing: [2],
      why: 'aged',
    });
    expect(d.slots).toEqual([sm(1), sm(2)]);
  });

  it('the default age is a day', () => {
    const s = new IncomingStore();
    s.add(sm(1), three(3)[0]!, 0);
    expect(s.nextWake(0)).toBe(24 * 3600_000);
    expect(s.nextWake(24 * 3600_000)).toBeNull();
    expect(s.due(24 * 3600_000 - 1)).toEqual([]);
    expect(smsOf(s.due(24 * 3600_000)[0]).sms.why).toBe('aged');
  });

  it('an incomplete message whose only parts are missing shows every gap', () => {
    const s = new IncomingStore({ maxAgeMs: 10 });
    s.add(sm(1), three(3)[1]!, 0);
    expect(smsOf(s.due(10)[0]).sms).toMatchObject({ text: '[part 1 of 3 missing]' + 'b'.repeat(153) + '[part 3 of 3 missing]', missing: [1, 3] });
  });
});

describe('incoming store: a full store never stops reception for good', () => {
  it('full (from +CPMS): the oldest orphan is handed over incomplete to make room; one per pass', () => {
    const s = new IncomingStore();
    s.add(sm(1), three(1)[0]!, 10);
    s.add(sm(2), three(2)[0]!, 5);
    s.add(sm(3), three(3)[0]!, 20);
    s.setUsage('SM', 3, 4);
    expect(s.full('SM')).toBe(false);
    expect(s.due(30)).toEqual([]);
    s.add(sm(4), three(4)[0]!, 25);
    expect(s.full('SM')).toBe(true);
    const d = s.due(30);
    expect(d).toHaveLength(1);
    expect(smsOf(d[0]).sms).toMatchObject({ why: 'full', missing: [2, 3] });
    expect(smsOf(d[0]).slots).toEqual([sm(2)]);
  });

  it('what is due anyway frees its slots first: no orphan is sacrificed then', () => {
    const s = new IncomingStore();
    s.add(sm(1), three(1)[0]!, 0);
    s.add(sm(2), one('whole'), 10);
    s.setUsage('SM', 2, 2);
    expect(s.due(20).map((d) => smsOf(d).sms.why)).toEqual(['whole']);
  });

  it('slots of stored outgoing messages count against the room; replace() learns them from +CPMS and the listing', () => {
    const s = new IncomingStore();
    s.replace('SM', [{ index: 1, pdu: three(1)[0]! }], 0, { used: 3, total: 4 });
    expect(s.full('SM')).toBe(false);
    s.add(sm(5), three(2)[0]!, 1);
    expect(s.full('SM')).toBe(true);
    expect(smsOf(s.due(2)[0]).slots).toEqual([sm(1)]);
    expect(s.full('SM', 1)).toBe(false);
  });

  it('+CPMS counting fewer than the listing (it lags): no negative room', () => {
    const s = new IncomingStore();
    s.replace('SM', [{ index: 1, pdu: three(1)[0]! }], 0, { used: 0, total: 1 });
    expect(s.full('SM')).toBe(true);
    expect(smsOf(s.due(1)[0]).sms.why).toBe('full');
  });

  it('routed parts (no slot) take no room: they are not given up for a full store', () => {
    const s = new IncomingStore();
    s.add(null, three(1)[0]!, 0);
    s.setUsage('SM', 5, 5);
    expect(s.full('SM')).toBe(true);
    expect(s.due(1)).toEqual([]);
  });

  it('an orphan waiting for a retry is not taken to make room; an unknown capacity is never full', () => {
    const s = new IncomingStore();
    s.add(sm(1), three(1)[0]!, 0);
    expect(s.full('SM')).toBe(false);
    s.setUsage('SM', 1, 1);
    const [d] = s.due(1);
    s.failed(smsOf(d).ids, 1);
    expect(s.due(2)).toEqual([]);
    expect(s.full('SR')).toBe(false);
  });

  it('only the full memory gives up an orphan', () => {
    const s = new IncomingStore();
    s.add({ mem: 'ME', index: 1 }, three(1)[0]!, 0);
    s.add(sm(1), three(2)[0]!, 1);
    s.setUsage('SM', 1, 1);
    s.setUsage('ME', 1, 5);
    expect(s.due(2).map((d) => smsOf(d).slots)).toEqual([[sm(1)]]);
    expect(s.held('SM')).toBe(1);
    expect(s.held('ME')).toBe(1);
    expect(s.held()).toBe(2);
  });
});

describe('incoming store: failures wait, longer each time, and never loop', () => {
  it('a failed hand-over waits retryBaseMs, doubling to retryMaxMs; nextWake says when', () => {
    const s = new IncomingStore({ retryBaseMs: 1000, retryMaxMs: 5000 });
    s.add(sm(1), one('x'), 0);
    const ids = smsOf(s.due(0)[0]).ids;
    expect(s.failed(ids, 0)).toEqual({ attempts: 1, retryAt: 1000 });
    expect(s.due(999)).toEqual([]);
    expect(s.nextWake(500)).toBe(1000);
    expect(s.due(1000)).toHaveLength(1);
    expect(s.failed(ids, 1000)).toEqual({ attempts: 2, retryAt: 3000 });
    expect(s.failed(ids, 3000)).toEqual({ attempts: 3, retryAt: 7000 });
    expect(s.failed(ids, 7000)).toEqual({ attempts: 4, retryAt: 12_000 });
    for (let i = 0; i < 60; i++) s.failed(ids, 0);
    expect(s.failed(ids, 100)).toEqual({ attempts: 65, retryAt: 5100 });
    expect(s.nextWake(5100)).toBeNull();
  });

  it('defaults: 5 s, doubling up to 15 min', () => {
    const s = new IncomingStore();
    s.add(sm(1), one('x'), 0);
    const ids = smsOf(s.due(0)[0]).ids;
    expect(s.failed(ids, 0).retryAt).toBe(5000);
    expect(s.failed(ids, 0).retryAt).toBe(10_000);
    for (let i = 0; i < 20; i++) s.failed(ids, 0);
    expect(s.failed(ids, 0).retryAt).toBe(15 * 60_000);
  });

  it('taken resets the backoff; a failed deletion waits too; unknown ids are ignored', () => {
    const s = new IncomingStore({ retryBaseMs: 100 });
    s.add(sm(1), one('x'), 0);
    s.add(sm(2), one('y'), 0);
    const [a, b] = s.due(0).map((d) => smsOf(d).ids);
    s.failed([...a!, 999], 0);
    s.taken([...a!, 998]);
    expect(kinds(s.due(0))).toEqual(['delete', 'sms']);
    s.failed(a!, 0);
    expect(kinds(s.due(50))).toEqual(['sms']);
    s.taken(b!);
    expect(s.due(50)).toEqual([{ kind: 'delete', ids: b, slots: [sm(2)] }]);
    expect(s.due(100)).toEqual([{ kind: 'delete', ids: [...a!, ...b!], slots: [sm(1), sm(2)] }]);
  });

  it('a group is due only when none of its parts waits', () => {
    const s = new IncomingStore({ retryBaseMs: 100 });
    const p = three(1);
    s.add(sm(1), p[0]!, 0);
    s.add(sm(2), p[1]!, 0);
    const firstIds = s.due(0);
    expect(firstIds).toEqual([]);
    s.add(sm(3), p[2]!, 0);
    const ids = smsOf(s.due(0)[0]).ids;
    s.failed([ids[0]!], 0);
    expect(s.due(99)).toEqual([]);
    expect(s.due(100)).toHaveLength(1);
  });
});

describe('incoming store: listing after a (re)start, routed messages', () => {
  it('replace(): the listing is the truth for that memory; known entries keep age, backoff and taken mark', () => {
    const s = new IncomingStore({ maxAgeMs: 1000, retryBaseMs: 10_000 });
    const p = three(8);
    s.add(sm(1), p[0]!, 0);
    s.add(sm(2), one('gone'), 0);
    s.add(sm(3), one('failing'), 0);
    s.add({ mem: 'SR', index: 0 }, REPORT, 0);
    const failing = smsOf(s.due(0).find((d) => d.kind === 'sms' && d.sms.text === 'failing')).ids;
    s.failed(failing, 0);
    s.replace(
      'SM',
      [
        { index: 1, pdu: p[0]! },
        { index: 3, pdu: one('failing') },
        { index: 4, pdu: p[1]!.toLowerCase() },
      ],
      500,
    );
    // "gone" left; "failing" still waits; the report in SR is untouched; the new part is seen now.
    expect(kinds(s.due(999))).toEqual(['report']);
    expect(s.size).toBe(4);
    // The first part still ages from 0: at 1000 the group (parts 1, 2) goes incomplete.
    const aged = smsOf(s.due(1000).find((d) => d.kind === 'sms'));
    expect(aged.sms).toMatchObject({ why: 'aged', missing: [3] });
    expect(aged.slots).toEqual([sm(1), sm(4)]);
  });

  it('replace(): a taken entry still listed is deleted again, not offered again', () => {
    const s = new IncomingStore();
    s.add(sm(1), one('x'), 0);
    s.taken(smsOf(s.due(0)[0]).ids);
    s.replace('SM', [{ index: 1, pdu: one('x') }], 10);
    expect(kinds(s.due(10))).toEqual(['delete']);
    // A different PDU in that slot is a new message.
    s.replace('SM', [{ index: 1, pdu: one('y') }], 20);
    expect(s.due(20).map((d) => smsOf(d).sms.text)).toEqual(['y']);
  });

  it('a restart forgets ages: parts listed then age from the listing', () => {
    const s = new IncomingStore({ maxAgeMs: 1000 });
    s.replace('SM', [{ index: 1, pdu: three(1)[0]! }], 5000);
    expect(s.nextWake(5000)).toBe(6000);
  });

  it('routed messages (+CMT, +CDS) have no slot: due without one, gone once taken; the same PDU again is one; at most VOLATILE_MAX wait', () => {
    const s = new IncomingStore();
    expect(s.add(null, one('routed'), 0)).toBe('new');
    expect(s.add(null, one('routed'), 1)).toBe('known');
    const [d] = s.due(2);
    expect(d).toMatchObject({ kind: 'sms', slots: [] });
    s.taken(smsOf(d).ids);
    expect(s.size).toBe(0);
    for (let i = 0; i < VOLATILE_MAX + 3; i++) s.add(null, one(`m${i}`), i);
    expect(s.size).toBe(VOLATILE_MAX);
    expect(s.droppedVolatile).toBe(3);
    expect(smsOf(s.due(1000)[0]).sms.text).toBe('m3');
    // Slots do not count against the routed ones.
    s.add(sm(1), one('stored'), 5000);
    expect(s.size).toBe(VOLATILE_MAX + 1);
  });

  it('nextWake: null when nothing waits; taken parts do not age', () => {
    const s = new IncomingStore({ maxAgeMs: 100 });
    expect(s.nextWake(0)).toBeNull();
    s.add(sm(1), one('x'), 0);
    expect(s.nextWake(0)).toBeNull();
    s.add(sm(2), three(1)[0]!, 0);
    const ids = smsOf(s.due(100).find((d) => smsOf(d).sms.why === 'aged')).ids;
    s.taken(ids);
    expect(s.nextWake(50)).toBeNull();
  });

  it('slotName', () => {
    expect(slotName({ mem: 'SR', index: 12 })).toBe('SR:12');
  });
});

describe('what the modem says about its stores', () => {
  it('+CMGL: index, status and the PDU on the next line; headers without a PDU and stray lines are skipped', () => {
    const pdu = one('x');
    expect(
      parseCmgl(['+CMGL: 1,0,,24', pdu, '+CMGL: 3,1,"",24', 'garbage', '0123', `${pdu}`, '+CMGL: 4,2,,24', '+CMGL: 5, 3 ,,24', 'ABCDEF0123']),
    ).toEqual([
      { index: 1, stat: 0, pdu },
      { index: 3, stat: 1, pdu },
      { index: 5, stat: 3, pdu: 'ABCDEF0123' },
    ]);
    expect(parseCmgl([pdu])).toEqual([]);
    expect(parseCmgl(['+CMGL: 2,1,,24', pdu, pdu])).toEqual([{ index: 2, stat: 1, pdu }]);
    expect(parseCmgl(['+CMGL: 123456,1,,2', pdu])).toEqual([]);
    expect(parseCmgl(['x+CMGL: 1,1,,2', pdu])).toEqual([]);
  });

  it('+CMGR: status and PDU; nothing without a PDU line', () => {
    const pdu = one('x');
    expect(parseCmgr(['+CMGR: 1,,24', pdu])).toEqual({ stat: 1, pdu });
    expect(parseCmgr(['noise', '+CMGR: 0,"",24', 'short', pdu])).toEqual({ stat: 0, pdu });
    expect(parseCmgr([pdu, '+CMGR: 0,,24'])).toBeNull();
    expect(parseCmgr(['+CMGR: 0,,24'])).toBeNull();
    expect(parseCmgr([pdu])).toBeNull();
  });

  it('+CPMS: the first memory’s used and total', () => {
    expect(parseCpmsUsage(['+CPMS: 3,30,3,30,3,30'])).toEqual({ used: 3, total: 30 });
    expect(parseCpmsUsage(['x', '+CPMS: 0 , 50'])).toEqual({ used: 0, total: 50 });
    expect(parseCpmsUsage(['+CPMS: "SM",3,30'])).toBeNull();
    expect(parseCpmsUsage([])).toBeNull();
  });

  it('+CMTI / +CDSI: memory and index, nothing else', () => {
    expect(parseStoredUrc('+CMTI: "SM",3')).toEqual({ mem: 'SM', index: 3 });
    expect(parseStoredUrc('+CDSI: "SR", 12 ')).toEqual({ mem: 'SR', index: 12 });
    expect(parseStoredUrc('+CMTI: "ME",99999')).toEqual({ mem: 'ME', index: 99999 });
    for (const bad of ['+CMTI: "SM",123456', '+CMTI: SM,3', '+CMTI: "S\r",3', '+CMTI: "SM",3,1', '+CMT: "SM",3', 'x+CMTI: "SM",3', '+CMTI: "sm",3']) {
      expect(parseStoredUrc(bad)).toBeNull();
    }
  });

  it('firmware that writes no space after the colon, and indices of several digits', () => {
    const pdu = one('x');
    expect(parseCmgl(['+CMGL:12,1,,24', pdu])).toEqual([{ index: 12, stat: 1, pdu }]);
    expect(parseCmgr(['+CMGR:1,,24', pdu])).toEqual({ stat: 1, pdu });
    expect(parseCmgr(['x+CMGR: 1,,24', pdu])).toBeNull();
    expect(parseCmgr(['+CMGR: ,,24', pdu])).toBeNull();
    expect(parseCpmsUsage(['+CPMS:12,30'])).toEqual({ used: 12, total: 30 });
    expect(parseCpmsUsage(['x+CPMS: 1,30'])).toBeNull();
    expect(parseStoredUrc('+CMTI:"SM",3')).toEqual({ mem: 'SM', index: 3 });
    expect(cnmiStoresSms('AT+CNMI=,2,0,0,0')).toBe(false);
    expect(cnmiStoresSms('XAT+CNMI=2,2,0,0,0')).toBe(true);
    expect(cnmiStoresReports('AT+CNMI=,,,2')).toBe(true);
    expect(cnmiStoresReports('AT+CNMI=22,11,00,2')).toBe(true);
    expect(cnmiStoresReports('XAT+CNMI=2,1,0,2,0')).toBe(false);
  });

  it('received message statuses are 0 and 1', () => {
    expect([0, 1, 2, 3, 4].map(isReceivedStat)).toEqual([true, true, false, false, false]);
  });

  it('+CNMI: mt 0/1 store SMS on the SIM, 2/3 route them; ds 2 stores reports', () => {
    expect(cnmiStoresSms('AT+CNMI=2,1,0,1,0')).toBe(true);
    expect(cnmiStoresSms('AT+CNMI=2,0,0,1,0')).toBe(true);
    expect(cnmiStoresSms('AT+CNMI=2,2,0,1,0')).toBe(false);
    expect(cnmiStoresSms('AT+CNMI=1,3,0,0,0')).toBe(false);
    expect(cnmiStoresSms('AT+CNMI=2')).toBe(true);
    expect(cnmiStoresReports('AT+CNMI=2,1,0,2,0')).toBe(true);
    expect(cnmiStoresReports('AT+CNMI=2,1,0,2')).toBe(true);
    expect(cnmiStoresReports('AT+CNMI=2,1,0,1,0')).toBe(false);
    expect(cnmiStoresReports('AT+CNMI=2,1,2,1,0')).toBe(false);
    expect(cnmiStoresReports('AT+CNMI=2,1,0,22')).toBe(false);
  });
});
