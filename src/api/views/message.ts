import type { OutboxRecord } from '../../sms/outbox.js';

/**
 * What the gateway API shows of a message (GET /sms/<id>, contract 8): its state and history,
 * times in epoch seconds as privacyIDEA writes them, never its text.
 */
export function messageView(r: OutboxRecord) {
  return {
    id: r.id,
    state: r.state,
    provider: r.provider,
    attempts: r.attempts,
    created: r.createdAt / 1000,
    expires: r.expiresAt / 1000,
    sent: r.sentAt === null ? null : r.sentAt / 1000,
    delivered: r.state === 'delivered' && r.report?.at ? r.report.at / 1000 : null,
    report: reportView(r),
    duplicates: r.duplicates,
    error: r.lastError,
    hops: r.hops.map((h) => ({ time: h.t / 1000, provider: h.provider, event: h.event, detail: h.detail ?? null })),
  };
}

/**
 * Status-report details: null when none was requested (or the provider cannot give them).
 * `status` is the TP-ST that settled the message (null while it is `sent`); `parts` the latest
 * report per part.
 */
function reportView(r: OutboxRecord) {
  if (!r.report) return null;
  const rep = r.report;
  return {
    modem: rep.modem,
    status: rep.status,
    time: rep.at === null ? null : rep.at / 1000,
    parts: rep.parts.map((p) => ({ reference: p.ref, outcome: p.outcome, status: p.status, time: p.at === null ? null : p.at / 1000 })),
  };
}
