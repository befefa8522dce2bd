import type { AppDeps } from '../context.js';

/**
 * Read-only views the console lists (the API's own /status reads the same data). Writes
 * always go through the domain services (tokenAdmin, users, accounts, dispatcher).
 */
export interface ModemView {
  provider: string;
  id: string;
  state: string;
  signalDbm: number | null;
  operator: string | null;
  registration: string | null;
  lastError: string | null;
  device: string;
  profile: string;
  counters: Record<string, number>;
}

export function modemsOf(deps: AppDeps): ModemView[] {
  const out: ModemView[] = [];
  for (const p of deps.dispatcher.status().providers) {
    const list = (p.detail as { modems?: unknown }).modems;
    if (!Array.isArray(list)) continue;
    for (const raw of list as Array<Record<string, unknown>>) {
      const counters: Record<string, number> = {};
      for (const [k, v] of Object.entries(raw)) if (typeof v === 'number' && k !== 'signalDbm') counters[k] = v;
      out.push({
        provider: p.id,
        id: String(raw.id ?? p.id),
        state: String(raw.state ?? 'unknown'),
        signalDbm: typeof raw.signalDbm === 'number' ? raw.signalDbm : null,
        operator: typeof raw.operator === 'string' ? raw.operator : null,
        registration: typeof raw.registration === 'string' ? raw.registration : null,
        lastError: typeof raw.lastError === 'string' ? raw.lastError : null,
        device: String(raw.device ?? ''),
        profile: String(raw.profile ?? ''),
        counters,
      });
    }
  }
  return out;
}

/** The outbox newest first (its records, read only). */
export function outbox(deps: AppDeps) {
  return deps.outbox.newest();
}

export type OutboxRow = ReturnType<typeof outbox>[number];
