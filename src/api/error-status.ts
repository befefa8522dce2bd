import { DirectoryError, type DirectoryErrorKind } from '../directory/errors.js';
import type { PiError, PiErrorKind } from '../token/errors.js';

/**
 * The HTTP status of each kind of error, as privacyIDEA's map_error_to_code (api/lib/utils.py):
 * parameter, user and token errors 400, authentication 401, policy 403, not found 404,
 * anything else 500; plus what privacyIDEA has no class for (limits, media type, a full queue).
 */
const STATUS: Record<PiErrorKind, number> = {
  parameter: 400,
  user: 400,
  tokenAdmin: 400,
  auth: 401,
  policy: 403,
  notFound: 404,
  unsupportedMedia: 415,
  tooLarge: 413,
  rateLimited: 429,
  internal: 500,
  unavailable: 503,
  upstreamTimeout: 504,
  upstreamFailed: 502,
};

/** privacyIDEA answers its UserError and ResolverError alike: 400, as any privacyIDEAError. */
const DIRECTORY_STATUS: Record<DirectoryErrorKind, number> = { user: 400, resolver: 400 };

export function httpStatusOf(err: PiError | DirectoryError): number {
  return err instanceof DirectoryError ? DIRECTORY_STATUS[err.kind] : STATUS[err.kind];
}
