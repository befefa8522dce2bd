import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { buildQueuedMessage, outboxReader } from '../../src/sms/outbox.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../helpers/harness.js';

let dir: string;
let store: Store;
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('outboxReader: what api/ reads of the outbox', () => {
  it('one message by id, never an inherited property; the newest first, as many as asked', async () => {
    dir = tempDir();
    store = await openStore({ dataDir: dir });
    const ids: string[] = [];
    for (const [i, at] of [300, 100, 200].entries()) {
      const { record, change } = buildQueuedMessage(
        { to: '+4917612345678', text: `m${i}`, expiresAt: at + 60_000, origin: 'api' },
        at,
        (s) => `sealed:${s}`,
      );
      await store.commit([change]);
      ids.push(record.id);
    }
    const outbox = outboxReader(store);
    expect(outbox.message(ids[1]!)).toMatchObject({ id: ids[1], createdAt: 100, state: 'queued' });
    for (const id of ['nosuchid', '__proto__', 'constructor', 'toString']) expect(outbox.message(id)).toBeUndefined();
    expect(outbox.newest().map((r) => r.createdAt)).toEqual([300, 200, 100]);
    expect(outbox.newest(2).map((r) => r.id)).toEqual([ids[0], ids[2]]);
    expect(outbox.newest(0)).toEqual([]);
    // A read, not a snapshot: a message committed later is there.
    const late = buildQueuedMessage({ to: '+4917612345678', text: 'late', expiresAt: 90_000, origin: 'challenge' }, 400, (s) => s);
    await store.commit([late.change]);
    expect(outbox.newest(1)[0]!.id).toBe(late.record.id);
    expect(outbox.message(late.record.id)?.origin).toBe('challenge');
  });
});
