import type { Directory } from './directory.js';

/**
 * The console's view of realms (src/api/console/realms.ts RealmSource), built from the
 * directory. The shapes are repeated here rather than imported: directory/ sits below api/.
 */
export interface ConsoleRealm {
  name: string;
  resolvers: string[];
  kind: 'local' | 'directory';
  health?: { ok: boolean; detail: string };
}

export interface ConsoleRealmUser {
  login: string;
  realm: string;
  givenname: string;
  surname: string;
  mobile: string | null;
}

export function consoleRealms(directory: Directory) {
  return {
    list(): ConsoleRealm[] {
      return directory.configuredRealms().map((r) => {
        const ldap = directory.ldapResolvers().filter((x) => r.resolvers.includes(x.name));
        if (ldap.length === 0) return { name: r.name, resolvers: r.resolvers, kind: 'local' as const };
        const hs = ldap.map((x) => x.health());
        const down = hs.find((h) => h.up === false);
        const detail = down
          ? `${down.resolver}: ${down.lastError?.message ?? 'down'}`
          : hs.every((h) => h.up === null)
            ? 'not asked yet'
            : hs.map((h) => `${h.resolver} on ${h.uri ?? '?'}${h.failover ? ' (failover)' : ''}`).join(', ');
        return { name: r.name, resolvers: r.resolvers, kind: 'directory' as const, health: { ok: !down, detail } };
      });
    },
    async search(realm: string, query: string, limit: number): Promise<ConsoleRealmUser[]> {
      const r = directory.realm(realm);
      const out: ConsoleRealmUser[] = [];
      for (const x of directory.ldapResolvers().filter((l) => r.resolvers.includes(l.name))) {
        for (const u of await x.searchUsers(query, limit - out.length))
          out.push({ login: u.login, realm: r.name, givenname: u.givenname, surname: u.surname, mobile: u.mobile });
        if (out.length >= limit) break;
      }
      return out;
    },
  };
}
