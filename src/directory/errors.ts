/**
 * Errors of the directory layer. It sits below `token`, so it cannot use token's PiError; the API
 * maps these by their privacyIDEA code (ResolverError 907, the user errors 904/905) and status.
 */
export class DirectoryError extends Error {
  override name = 'DirectoryError';
  constructor(
    readonly code: number,
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

/**
 * privacyIDEA's ResolverError: the directory could not be asked (down, timeout, TLS, service
 * account refused). Says nothing about the user, so it never counts as a failed login.
 */
export const resolverError = (resolver: string, why: string) =>
  new DirectoryError(907, `ERR907: The user store "${resolver}" could not be reached: ${why}. The login was not counted as a failure.`, 400);

export const unknownUser = () => new DirectoryError(904, 'ERR904: The user can not be found in any resolver in this realm!', 400);
export const invalidUser = (why = 'Invalid user.') => new DirectoryError(905, `ERR905: ${why}`, 400);
export const unknownRealm = (realm: string) => new DirectoryError(905, `ERR905: Unknown realm "${realm}".`, 400);
