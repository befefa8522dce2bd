import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * A module loaded synchronously at its first use, through its CommonJS build, for a dependency
 * that start-up should not pay for when the configuration never uses it. Every use goes through
 * the one accessor, so `instanceof` always meets the one copy of its classes.
 */
export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(specifier) as T);
}
