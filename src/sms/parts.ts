/**
 * Part counting for callers above sms/ (the /sms/send route): the rules are the modem's PDU
 * codec's, reached the way imports point (sms -> providers -> modem).
 */
export { countSmsParts, MAX_SMS_PARTS } from './providers/parts.js';
