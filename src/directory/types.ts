/** A user as a resolver found it. */
export interface DirectoryUser {
  /** Name of the resolver that knows the user (`local` for the local table). */
  resolver: string;
  /** The stable id tokens are bound to: the local login, or the directory's UIDTYPE value. */
  uid: string;
  /** The login name as the directory spells it (its first login attribute). */
  login: string;
  givenname: string;
  surname: string;
  /** First mobile number, normalised; null when the user has none (or none that parses). */
  mobile: string | null;
  phone: string;
  email: string;
  /** AD userAccountControl ACCOUNTDISABLE (bit 2). */
  disabled: boolean;
  /** Every mapped USERINFO field, multi-valued ones as lists (for `directory test`). */
  info: Map<string, string | string[]>;
}

export interface ResolverHealth {
  resolver: string;
  type: 'ldap';
  /** null until the first request. */
  up: boolean | null;
  lastSuccess: number | null;
  lastError: { t: number; message: string } | null;
  /** URI the search connections use now; `failover` when it is not the first one configured. */
  uri: string | null;
  failover: boolean;
  uris: string[];
  cache: { entries: number; hits: number; misses: number };
}

export interface ListPage {
  users: DirectoryUser[];
  /** More entries exist beyond the page (or beyond SIZELIMIT). */
  truncated: boolean;
}

/** What a realm asks of each of its resolvers. */
export interface Resolver {
  readonly name: string;
  readonly type: 'local' | 'ldap';
  /** null: not in this resolver. Throws DirectoryError 907 when the store cannot be asked. */
  findByLogin(login: string, realm: string): Promise<DirectoryUser | null>;
  findById(uid: string, realm: string): Promise<DirectoryUser | null>;
  /** The directory password of the user with this uid (userstore). Throws 907 when the store is down. */
  checkPassword(uid: string, password: string, realm: string): Promise<boolean>;
  list(realm: string, offset: number, limit: number): Promise<ListPage>;
  health(): ResolverHealth | null;
  close(): Promise<void>;
}
