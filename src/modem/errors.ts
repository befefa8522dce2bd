/**
 * What a +CMS / +CME ERROR means for the message and the modem (3GPP TS 27.005 3.2.5, 24.011
 * E.2, 23.040 9.2.3.22): temporary → retry with backoff; permanent → this modem will never send
 * it; modem → the modem needs attention (SIM trouble), the message goes elsewhere; not-ready →
 * the modem is not (any more) ready for SMS: "operation not allowed/supported" before "SMS
 * Ready", memory trouble, no network: nothing was sent and the message waits for a ready modem;
 * ambiguous → may have been sent.
 */
export type ErrorClass = 'permanent' | 'temporary' | 'modem' | 'ambiguous' | 'not-ready';

const PERMANENT_CMS = new Set([1, 8, 10, 21, 27, 28, 29, 30, 50, 69, 81, 95, 96, 97, 98, 99, 127, 301, 304, 305, 330]);
const TEMPORARY_CMS = new Set([38, 41, 42, 47, 192, 512, 513, 514, 515, 535]);
const NOT_READY_CMS = new Set([302, 303, 322, 331, 332]);
const MODEM_CMS = new Set([310, 311, 312, 313, 314, 315, 316, 317, 318, 320, 321, 340]);
const AMBIGUOUS_CMS = new Set([111, 500]);

export function classifyCms(code: number): ErrorClass {
  if (NOT_READY_CMS.has(code)) return 'not-ready';
  if (TEMPORARY_CMS.has(code)) return 'temporary';
  if (MODEM_CMS.has(code)) return 'modem';
  if (AMBIGUOUS_CMS.has(code)) return 'ambiguous';
  if (PERMANENT_CMS.has(code)) return 'permanent';
  // TP-FCS 128..255 (except 192 SC busy, above): the network refused this message.
  if (code >= 128 && code <= 255) return 'permanent';
  // Unknown codes: retry, but a bounded number of times (the dispatcher's maxAttempts).
  return 'temporary';
}

/** +CME ERROR codes (27.007 9.2): SIM and network trouble concern the modem, not the message. */
export function classifyCme(code: number): ErrorClass {
  if ([3, 4, 50].includes(code)) return 'permanent';
  if ([10, 11, 12, 13, 15, 16, 17, 18, 20, 21, 22, 23, 30, 31, 32].includes(code)) return 'modem';
  // The rest, among them 14 (SIM busy: just booted) and 100 (unknown).
  return 'temporary';
}

/**
 * Verbose (AT+CMEE=2) texts some firmware prints instead of numbers; +CME and +CMS differ. Maps:
 * the text comes from the modem, and "constructor" must not find an object's own properties.
 */
const VERBOSE_CME = new Map<string, number>(
  Object.entries({
    'operation not allowed': 3,
    'operation not supported': 4,
    'sim not inserted': 10,
    'sim pin required': 11,
    'sim puk required': 12,
    'sim failure': 13,
    'sim busy': 14,
    'incorrect password': 16,
    'no network service': 30,
    'network timeout': 31,
    'network not allowed - emergency calls only': 32,
    unknown: 100,
    'unknown error': 100,
  }),
);

const VERBOSE_CMS = new Map<string, number>(
  Object.entries({
    'unassigned (unallocated) number': 1,
    'operator determined barring': 8,
    'call barred': 10,
    'short message transfer rejected': 21,
    'destination out of service': 27,
    'unidentified subscriber': 28,
    'facility rejected': 29,
    'unknown subscriber': 30,
    'network out of order': 38,
    'temporary failure': 41,
    congestion: 42,
    'resources unavailable, unspecified': 47,
    'invalid short message transfer reference value': 81,
    'sm rejected-duplicate sm': 197,
    'me failure': 300,
    'sms service of me reserved': 301,
    'operation not allowed': 302,
    'operation not supported': 303,
    'invalid pdu mode parameter': 304,
    'invalid text mode parameter': 305,
    'sim not inserted': 310,
    'sim pin required': 311,
    'sim failure': 313,
    'sim busy': 314,
    'memory full': 322,
    'unknown smsc address': 330,
    'no network service': 331,
    'network timeout': 332,
    'network time-out': 332,
    'unknown error': 500,
    unknown: 500,
  }),
);

/** The numeric code of `+CMS ERROR: 42` or `+CMS ERROR: Congestion`; NaN when unknown. */
export function parseErrorCode(text: string, kind: 'CME' | 'CMS'): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  return (kind === 'CME' ? VERBOSE_CME : VERBOSE_CMS).get(t.toLowerCase()) ?? Number.NaN;
}
