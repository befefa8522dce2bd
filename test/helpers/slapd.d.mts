export declare const SLAPD_BIN: string | undefined;
export declare const SLAPADD_BIN: string | undefined;
/** Why the directory tests are skipped, or null when slapd is here to run them. */
export declare const slapdMissing: string | null;
export declare const BASE: string;
export declare const PEOPLE: string;
export declare const GROUPS: string;
export declare const SERVICE_DN: string;
export declare const SERVICE_PW: string;
export declare const ROOT_DN: string;
export declare const ROOT_PW: string;

export interface TestUser {
  uid: string;
  password: string;
  mobile?: string[];
  givenName?: string;
  sn?: string;
  /** Put outside ou=people (outside LDAPBASE). */
  outside?: boolean;
  /** Not matched by a resolver filter on employeeType=staff. */
  robot?: boolean;
  /** AD's userAccountControl (514 = disabled), from the test schema's AD attributes. */
  uac?: number;
  /** AD's objectGUID in its string form; stored as AD stores it (16 bytes, mixed endian). */
  guid?: string;
}
export declare const DEFAULT_USERS: TestUser[];
export declare function freePort(): Promise<number>;
export declare function dnOf(uid: string, users?: TestUser[]): string;

export interface Slapd {
  dir: string;
  port: number;
  tlsPort: number;
  url: string;
  tlsUrl: string;
  caFile: string;
  otherCaFile: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops and removes the temp dir. */
  destroy(): Promise<void>;
  running(): boolean;
}
export declare function startSlapd(opts?: { users?: TestUser[]; groups?: Record<string, string[]> }): Promise<Slapd>;
