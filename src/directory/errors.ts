/**
 * What went wrong, in the directory's own terms: the user or the request about one is wrong
 * (`user`), or the user store could not be asked (`resolver`). The API maps the kind to an HTTP
 * status, as it does for token's PiError.
 */
export type DirectoryErrorKind = 'user' | 'resolver';

/**
 * Errors of the directory layer. It sits below `token`, so it cannot use token's PiError; it
 * carries privacyIDEA's code (ResolverError 907, the user errors 904/905) and its kind.
 */
export class DirectoryError extends Error {
  override name = 'DirectoryError';
  constructor(
    readonly code: number,
    message: string,
    readonly kind: DirectoryErrorKind = 'user',
  ) {
    super(message);
  }
}

/**
 * privacyIDEA's ResolverError: the directory could not be asked (down, timeout, TLS, service
 * account refused). Says nothing about the user, so it never counts as a failed login.
 */
export const resolverError = (resolver: string, why: string) =>
  new DirectoryError(907, `ERR907: The user store "${resolver}" could not be reached: ${why}. The login was not counted as a failure.`, 'resolver');

export const unknownUser = () => new DirectoryError(904, 'ERR904: The user can not be found in any resolver in this realm!');
export const invalidUser = (why = 'Invalid user.') => new DirectoryError(905, `ERR905: ${why}`);
export const unknownRealm = (realm: string) => new DirectoryError(905, `ERR905: Unknown realm "${realm}".`);
