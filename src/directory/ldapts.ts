import { createRequire } from 'node:module';

type Ldapts = typeof import('ldapts');
let loaded: Ldapts | undefined;

/**
 * ldapts, loaded at its first use: a config without LDAP resolvers never loads it, nor its
 * dependencies (about 2 MB of heap and 40 modules at every start). Synchronous, through its
 * CommonJS build: filters are built in constructors. Every runtime use in src/ goes through
 * here, so `instanceof` always meets the one copy of its classes.
 */
export function ldapts(): Ldapts {
  return (loaded ??= createRequire(import.meta.url)('ldapts') as Ldapts);
}
