/**
 * How many parts a text takes on the air. The encoding rules live with the PDU codec, which sms/
 * reaches only through its providers (DESIGN.md: sms -> providers -> modem).
 */
export { countSmsParts, MAX_SMS_PARTS } from './providers/parts.js';
