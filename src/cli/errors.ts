/**
 * How the CLI reports a failure: one line `smsotpd: <message>` on stderr and a non-zero exit;
 * the stack only with --debug or SMSOTPD_DEBUG=1. A system error (ENOENT, EACCES,
 * ECONNREFUSED...) is said in words with what it was about, not as Node's stack.
 */
const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EEXIST: 'already exists',
  ECONNREFUSED: 'connection refused (nothing listens there)',
  ECONNRESET: 'connection reset by the other side',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENOTFOUND: 'no such host',
  EADDRINUSE: 'address already in use',
  EBUSY: 'device or resource busy (another program has it open?)',
};

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
  address?: string;
  port?: number;
}

/** Exit code for a usage error (unknown option or command), as getopt-style tools use. */
export const EXIT_USAGE = 2;

export function isUsageError(err: unknown): boolean {
  const code = (err as SystemError | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as SystemError;
  if (e.code && e.syscall && ERRNO_WORDS[e.code]) {
    const what = e.path ?? (e.address ? `${e.address}${e.port ? `:${e.port}` : ''}` : undefined);
    return `${e.syscall}${what ? ` ${what}` : ''}: ${ERRNO_WORDS[e.code]}`;
  }
  // An AggregateError (a connect to every address of a host) carries its reasons inside.
  if (err instanceof AggregateError && err.errors.length) return describeError(err.errors[0]);
  return err.message || err.name;
}

export function debugWanted(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes('--debug') || /^(1|true|yes)$/i.test(env.SMSOTPD_DEBUG ?? '');
}

/** The text written to stderr for a failed command. */
export function reportError(err: unknown, debug: boolean, expected = false): string {
  const line = `smsotpd: ${describeError(err)}${debug || expected ? '' : ' (--debug shows where)'}`;
  if (debug && err instanceof Error && err.stack) return `${line}\n${err.stack}\n`;
  return `${line}\n`;
}
