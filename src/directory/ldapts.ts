import { lazyModule } from '../util/lazy-module.js';

/**
 * ldapts, loaded at its first use: a config without LDAP resolvers never loads it, nor its
 * dependencies (about 2 MB of heap and 40 modules at every start). Synchronous: filters are
 * built in constructors. Every runtime use in src/ goes through here.
 */
export const ldapts = lazyModule<typeof import('ldapts')>('ldapts');
