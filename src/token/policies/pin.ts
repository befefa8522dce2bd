/**
 * The PIN policy. A token without a PIN is created only when asked for explicitly
 * (`nopin=1`); then, and only then, an empty PIN matches. A token whose PIN is merely missing
 * (created before this rule, or by mistake) is never triggered by an empty `pass`.
 */

export interface PinState {
  pinHash: string | null;
  /** Created (or set) explicitly without a PIN. */
  noPin?: boolean | undefined;
}

export type PinDecision = 'verify' | 'match' | 'no-match';

/** What checking `pin` against the token takes: a hash verification, or nothing. */
export function pinDecision(t: PinState, pin: string): PinDecision {
  if (t.pinHash !== null) return 'verify';
  return pin === '' && t.noPin === true ? 'match' : 'no-match';
}

export interface PinRequest {
  pin?: string | undefined;
  noPin?: boolean | undefined;
}

/**
 * Validates an enrolment's or setpin's PIN choice: exactly one of a non-empty PIN and `nopin`.
 * Returns the PIN to hash, or null for an explicit no-PIN token; throws a message otherwise.
 */
export function choosePin(r: PinRequest): { pin: string | null } | { error: string } {
  const given = r.pin !== undefined && r.pin !== '';
  if (r.noPin && given) return { error: 'Give either a PIN or nopin=1, not both.' };
  if (r.noPin) return { pin: null };
  if (!given) return { error: "Missing parameter: 'pin' (a token without a PIN needs nopin=1)." };
  return { pin: r.pin! };
}
