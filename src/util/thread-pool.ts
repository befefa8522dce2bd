/**
 * The size libuv gives its thread pool (which runs the PIN KDF and file syncs): UV_THREADPOOL_SIZE
 * when it is a number from 1 to 1024, else libuv's default, 4. The launcher, cli/smsotpd.cts,
 * sets it to one thread per core before the pool starts.
 */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 1024) : 4;
}
