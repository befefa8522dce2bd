import { afterEach, describe, expect, it } from 'vitest';
import { buildQueuedMessage } from '../../src/sms/outbox.js';
import { RecordingProvider } from '../helpers/recording-provider.js';
import { makeHarness, tempDir, type Harness } from '../helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function queue(text = 'Your code 123456', validityMs = 60_000, to = '+4917612345678') {
  const now = Date.now();
  const { record, change } = buildQueuedMessage({ to, text, expiresAt: now + validityMs, origin: 'api' }, now, (s) => h.core.secrets.encrypt(s));
  await h.store.commit([change]);
  h.core.deps.dispatcher.enqueued(record.id);
  return record.id;
}

async function waitState(id: string, state: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = h.store.get('outbox', id);
    if (r?.state === state) return r;
    if (Date.now() > deadline) throw new Error(`message ${id} is ${r?.state}, expected ${state}; hops ${JSON.stringify(r?.hops)}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

const twoProviders = (cfg: Record<string, unknown> = {}) => {
  const a = new RecordingProvider('a');
  const b = new RecordingProvider('b');
  return {
    a,
    b,
    config: {
      sms: {
        providers: [
          { id: 'a', type: 'simulator', maxAttempts: 2, breakerThreshold: 2, breakerCooldown: 1, ...cfg },
          { id: 'b', type: 'simulator' },
        ],
      },
    },
  };
};

describe('dispatcher', () => {
  it('retries temporary failures on the same provider with backoff, then delivers', async () => {
    const { a, b, config } = twoProviders({ maxAttempts: 5, breakerThreshold: 10 });
    h = await makeHarness(config, { providers: [a, b] });
    a.failures = ['temporary', 'temporary'];
    const id = await queue();
    const r = await waitState(id, 'sent');
    expect(a.attempts).toHaveLength(3);
    expect(b.attempts).toHaveLength(0);
    expect(r.provider).toBe('a');
    expect(r.hops.map((x) => x.event)).toEqual(['attempt', 'temporary', 'attempt', 'temporary', 'attempt', 'sent']);
    expect(r.textEnc).toBe('');
  });

  it('moves on after maxAttempts temporary failures, and at once on a permanent one', async () => {
    const { a, b, config } = twoProviders({ breakerThreshold: 10 });
    h = await makeHarness(config, { providers: [a, b] });
    a.failures = ['temporary', 'temporary'];
    const first = await queue();
    expect((await waitState(first, 'sent')).provider).toBe('b');
    expect(a.attempts).toHaveLength(2);
    a.failures = ['permanent'];
    const second = await queue();
    expect((await waitState(second, 'sent')).provider).toBe('b');
    expect(a.attempts).toHaveLength(3);
    expect(h.core.deps.dispatcher.counters.failovers).toBe(2);
  });

  it('a message every provider rejects permanently ends failed, with the reason', async () => {
    const { a, b, config } = twoProviders();
    h = await makeHarness(config, { providers: [a, b] });
    a.failures = ['permanent'];
    b.failures = ['permanent'];
    const r = await waitState(await queue(), 'failed');
    expect(r.lastError).toBe('every provider rejected the message permanently');
  });

  it('never hands a message accepted by the first provider to a second one', async () => {
    const { a, b, config } = twoProviders();
    h = await makeHarness(config, { providers: [a, b] });
    const ids = await Promise.all([queue(), queue(), queue()]);
    for (const id of ids) await waitState(id, 'sent');
    expect(a.sent).toHaveLength(3);
    expect(b.attempts).toHaveLength(0);
  });

  it('an ambiguous outcome is resent on the same provider with the resend flag, and counted', async () => {
    const { a, b, config } = twoProviders();
    h = await makeHarness(config, { providers: [a, b] });
    a.failures = ['ambiguous'];
    const r = await waitState(await queue(), 'sent');
    expect(a.attempts.map((m) => m.resend)).toEqual([false, true]);
    expect(b.attempts).toHaveLength(0);
    expect(r.duplicates).toBe(1);
    expect(h.core.deps.dispatcher.counters.duplicates).toBe(1);
  });

  it('opens the breaker after consecutive unavailability, skips the provider, probes after the cooldown', async () => {
    const { a, b, config } = twoProviders();
    h = await makeHarness(config, { providers: [a, b] });
    a.failures = ['unavailable', 'unavailable'];
    await waitState(await queue(), 'sent');
    await waitState(await queue(), 'sent');
    const st = h.core.deps.dispatcher.status().providers[0]!;
    expect(st.breaker.state).toBe('open');
    const attemptsWhileOpen = a.attempts.length;
    await waitState(await queue(), 'sent');
    expect(a.attempts.length).toBe(attemptsWhileOpen);
    await new Promise((r) => setTimeout(r, 1100));
    await waitState(await queue(), 'sent');
    expect(a.attempts.length).toBe(attemptsWhileOpen + 1);
    expect(h.core.deps.dispatcher.status().providers[0]!.breaker.state).toBe('closed');
  });

  it('overflow: a provider whose queue would outlast the OTP is passed over', async () => {
    const { a, b, config } = twoProviders();
    h = await makeHarness(config, { providers: [a, b] });
    a.waitMs = 120_000;
    const r = await waitState(await queue('x', 60_000), 'sent');
    expect(r.provider).toBe('b');
    expect(a.attempts).toHaveLength(0);
  });

  it('a message past its expiry is never sent', async () => {
    const { a, b, config } = twoProviders();
    h = await makeHarness(config, { providers: [a, b] });
    a.health = 'down';
    b.health = 'down';
    const r = await waitState(await queue('x', 300), 'expired', 3000);
    expect(r.state).toBe('expired');
    expect(a.attempts.length + b.attempts.length).toBe(0);
  });

  it('after a crash mid-submit the message is resent with reject-duplicates and counted', async () => {
    const dir = tempDir();
    const a = new RecordingProvider('a');
    a.delayMs = 10_000;
    h = await makeHarness({ sms: { providers: [{ id: 'a', type: 'simulator' }] } }, { providers: [a], dir });
    const id = await queue();
    await waitState(id, 'sending');
    // Simulate the crash: close the store without letting the dispatcher finish.
    await h.store.close();
    h.core.deps.dispatcher['running'] = false;
    const a2 = new RecordingProvider('a');
    const h2 = await makeHarness({ sms: { providers: [{ id: 'a', type: 'simulator' }] } }, { providers: [a2], dir });
    const prev = h;
    h = h2;
    const r = await waitState(id, 'sent');
    expect(a2.sent[0]!.resend).toBe(true);
    expect(a2.sent[0]!.text).toBe('Your code 123456');
    expect(r.duplicates).toBe(1);
    expect(r.hops.some((x) => x.event === 'ambiguous' && x.detail === 'interrupted by restart')).toBe(true);
    void prev.core.stop().catch(() => {});
  });

  it('provider progress checkpoints are durable and handed back on the next attempt', async () => {
    const a = new RecordingProvider('a');
    h = await makeHarness({ sms: { providers: [{ id: 'a', type: 'simulator', maxAttempts: 3 }] } }, { providers: [a] });
    const orig = a.send.bind(a);
    a.send = async (msg, ctx) => {
      if (msg.attempt === 1) {
        await ctx.checkpoint({ concatRef: 42, partsSent: [1] });
        throw new (await import('../../src/sms/provider.js')).SendFailure('temporary', 'part 2 failed');
      }
      return orig(msg, ctx);
    };
    await waitState(await queue(), 'sent');
    expect(a.sent[0]!.progress).toEqual({ concatRef: 42, partsSent: [1] });
  });

  it('failure texts from the far end are scrubbed before they are recorded, audited or shown', async () => {
    const a = new RecordingProvider('a');
    h = await makeHarness({ sms: { providers: [{ id: 'a', type: 'simulator' }] } }, { providers: [a] });
    const { SendFailure } = await import('../../src/sms/provider.js');
    a.send = async () => {
      throw new SendFailure('permanent', 'gateway said: bad text "Your code 654321" for +4915550001111', 'HTTP 400');
    };
    const r = await waitState(await queue(), 'failed');
    // What is shown: the hops and last error (GET /sms/<id>, audit, logs) and /status.
    const shown = JSON.stringify([r.hops, r.lastError, h.core.deps.dispatcher.status()]);
    expect(shown).not.toContain('654321');
    expect(shown).not.toContain('4915550001111');
    expect(r.hops.find((x) => x.event === 'permanent')!.detail).toContain('Your code ******');
  });
});
