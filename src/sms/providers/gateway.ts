import type { OutgoingSms, ProviderStatus, SendContext, SendOk, SmsProvider } from '../provider.js';

/** Answers from gateways are read up to this size: enough for any status text, no memory abuse. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** Reads a response body as text, keeping at most `max` bytes (the rest is drained and dropped). */
export async function readTextLimited(body: AsyncIterable<Uint8Array>, max = MAX_ANSWER_BYTES): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size <= max) chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The shared shape of the network gateways (http, sipgate, smtp): always ready unless stopped,
 * no queue of their own (expected wait 0), status from a detail function. Each supplies `send`.
 */
export function gatewayProvider(o: {
  id: string;
  type: string;
  detail(): Record<string, unknown>;
  close(): Promise<void> | void;
  send(msg: OutgoingSms, ctx: SendContext): Promise<SendOk>;
}): SmsProvider {
  let stopped = false;
  return {
    id: o.id,
    type: o.type,
    async start() {
      stopped = false;
    },
    async stop() {
      stopped = true;
      await o.close();
    },
    available: () => !stopped,
    expectedWaitMs: () => 0,
    status: (): ProviderStatus => ({ id: o.id, type: o.type, health: stopped ? 'down' : 'ready', detail: o.detail() }),
    send: (msg, ctx) => o.send(msg, ctx),
  };
}
