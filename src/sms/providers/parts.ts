import { MAX_PARTS, planText } from '../../modem/pdu.js';

/** The most parts one message may have: what a modem concatenates (23.040 allows more, handsets do not). */
export const MAX_SMS_PARTS = MAX_PARTS;

/**
 * How many SMS parts `text` takes on the air: GSM-7 (160 alone, 153 per concatenated part,
 * extension characters count twice) when every character is in the GSM-7 alphabet, else UCS-2
 * (70 alone, 67 per part). Pure; the modem's PDU encoder splits by the same rules.
 */
export function countSmsParts(text: string): { parts: number; encoding: 'gsm7' | 'ucs2' } {
  const p = planText(text);
  return { parts: p.parts, encoding: p.encoding };
}
