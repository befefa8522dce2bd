/**
 * AD's objectGUID: 16 octets whose string form stores the first three groups little-endian
 * (MS-DTYP 2.3.4): `00112233-4455-6677-8899-aabbccddeeff` is `33 22 11 00 55 44 77 66 88 99 ...`.
 */
const GUID_RE = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

export function guidToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error(`objectGUID must be 16 bytes, got ${bytes.length}`);
  const h = (i: number) => bytes[i]!.toString(16).padStart(2, '0');
  const run = (idx: number[]) => idx.map(h).join('');
  return `${run([3, 2, 1, 0])}-${run([5, 4])}-${run([7, 6])}-${run([8, 9])}-${run([10, 11, 12, 13, 14, 15])}`;
}

export function guidToBytes(guid: string): Buffer {
  const m = GUID_RE.exec(guid);
  if (!m) throw new Error('not a GUID');
  const hex = m.slice(1).join('');
  const b = Buffer.from(hex, 'hex');
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return Buffer.from(order.map((i) => b[i]!));
}

export const isGuid = (s: string) => GUID_RE.test(s);
