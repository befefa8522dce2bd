/**
 * privacyIDEA's error classes with its numeric codes. What HTTP status each becomes is the API's
 * business (api/error-status.ts); here an error says only what kind of failure it is.
 */
export type PiErrorKind =
  | 'parameter'
  | 'user'
  | 'auth'
  | 'policy'
  | 'notFound'
  | 'tokenAdmin'
  | 'rateLimited'
  | 'tooLarge'
  | 'unsupportedMedia'
  | 'internal'
  | 'unavailable'
  /** The network or the modem did not answer in time (USSD). */
  | 'upstreamTimeout'
  /** The network or the modem answered with a failure (USSD). */
  | 'upstreamFailed';

export class PiError extends Error {
  override name = 'PiError';
  constructor(
    readonly code: number,
    message: string,
    readonly kind: PiErrorKind,
  ) {
    super(message);
  }
}

export const parameterError = (msg: string) => new PiError(905, msg, 'parameter');
export const userError = (msg = 'The user can not be found in any resolver in this realm!') => new PiError(904, msg, 'user');
export const authError = (msg = 'Authentication failure. Wrong credentials') => new PiError(4031, msg, 'auth');
export const policyError = (msg: string) => new PiError(303, msg, 'policy');
export const notFoundError = (msg: string) => new PiError(601, msg, 'notFound');
export const tokenAdminError = (msg: string) => new PiError(301, msg, 'tokenAdmin');
export const tooManyRequests = (msg: string) => new PiError(303, msg, 'rateLimited');
/** privacyIDEA raises a plain Exception (-500, HTTP 500) for `exception=1` SMS failures. */
export const internalError = (msg: string) => new PiError(-500, msg, 'internal');
/** The outbox holds sms.maxQueued messages already: the gateway caller should retry later. */
export const queueFull = (msg: string) => new PiError(-503, msg, 'unavailable');
