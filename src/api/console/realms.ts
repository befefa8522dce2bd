/**
 * What the console needs to know about realms beyond the local table: a narrow face the
 * directory part implements (src/directory/), so the console never reaches into resolvers.
 * The local realm (resolver `local`) is always listed, from the user table itself.
 */
export interface RealmUser {
  login: string;
  realm: string;
  givenname: string;
  surname: string;
  mobile: string | null;
}

export interface RealmInfo {
  name: string;
  /** Resolver names, in lookup order. */
  resolvers: string[];
  /** A directory the console can search but not edit. */
  kind: 'local' | 'directory';
  /** Last known health of the realm's resolvers, e.g. `ok` or the bind error. */
  health?: { ok: boolean; detail: string };
}

export interface RealmSource {
  list(): RealmInfo[];
  /** Up to `limit` users of a directory realm whose login or name contains `query`. */
  search?(realm: string, query: string, limit: number): Promise<RealmUser[]>;
}
