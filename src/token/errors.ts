/**
 * privacyIDEA's error classes, with its numeric codes and the HTTP status each maps to
 * (api/lib/utils.py map_error_to_code). The API layer renders them in the error envelope.
 */
export class PiError extends Error {
  override name = 'PiError';
  constructor(
    readonly code: number,
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

export const parameterError = (msg: string) => new PiError(905, msg, 400);
export const userError = (msg = 'The user can not be found in any resolver in this realm!') => new PiError(904, msg, 400);
export const authError = (msg = 'Authentication failure. Wrong credentials') => new PiError(4031, msg, 401);
export const policyError = (msg: string) => new PiError(303, msg, 403);
export const notFoundError = (msg: string) => new PiError(601, msg, 404);
export const tokenAdminError = (msg: string) => new PiError(301, msg, 400);
export const tooManyRequests = (msg: string) => new PiError(303, msg, 429);
/** privacyIDEA raises a plain Exception (-500, HTTP 500) for `exception=1` SMS failures. */
export const internalError = (msg: string) => new PiError(-500, msg, 500);
/** The outbox holds sms.maxQueued messages already: the gateway caller should retry later. */
export const queueFull = (msg: string) => new PiError(-503, msg, 503);
