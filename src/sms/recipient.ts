/**
 * Whether the recipient a status report names (TP-RA) is the number a message was sent to.
 * The network may give it in another format than we submitted it: international with or
 * without `+`, `00`-prefixed, or national with its trunk `0` (3GPP 23.040 9.1.2.5). Neither side
 * says which country a national number belongs to, so two numbers are the same when, stripped to
 * their significant digits, the longer ends with the shorter and the shorter is long enough to be
 * a subscriber number, not just a tail that many numbers share.
 */

const MIN_SIGNIFICANT_DIGITS = 7;

/** The digits that identify the subscriber: no `+`, no `00` international or `0` trunk prefix. */
function significant(raw: string): { digits: string; international: boolean } | null {
  const s = raw.trim();
  const plus = s.startsWith('+');
  const digits = s.replace(/[\s\-/().]/g, '').replace(/^\+/, '');
  if (!/^\d{3,20}$/.test(digits)) return null;
  if (plus) return { digits, international: true };
  if (digits.startsWith('00')) return { digits: digits.slice(2), international: true };
  return { digits: digits.replace(/^0+/, ''), international: false };
}

export function sameRecipient(a: string, b: string): boolean {
  const x = significant(a);
  const y = significant(b);
  if (!x || !y) return false;
  if (x.digits === y.digits) return true;
  // Two international forms carry their country code: they must agree exactly.
  if (x.international && y.international) return false;
  const [short, long] = x.digits.length <= y.digits.length ? [x.digits, y.digits] : [y.digits, x.digits];
  return short.length >= MIN_SIGNIFICANT_DIGITS && long.endsWith(short);
}
