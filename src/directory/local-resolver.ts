import type { UserRecord } from '../store/types.js';
import type { DirectoryUser, ListPage, Resolver } from './types.js';

/** What the local resolver needs of the local user table (token/users.ts UserDirectory has it). */
export interface LocalUserTable {
  get(login: string, realm: string): UserRecord | undefined;
  list(filter?: { realm?: string; login?: string }): UserRecord[];
}

/**
 * Resolver `local`: the local user table, unchanged. Its uid is the login, so tokens of local
 * users are stored exactly as before realms existed. It has no passwords.
 */
export class LocalResolver implements Resolver {
  readonly name = 'local';
  readonly type = 'local' as const;

  /** `checkLogin` is the local table's own name rule (ERR905 as before realms existed). */
  constructor(
    private readonly table: LocalUserTable,
    private readonly checkLogin: (login: string) => string = (l) => l,
  ) {}

  private view(u: UserRecord): DirectoryUser {
    return {
      resolver: 'local',
      uid: u.login,
      login: u.login,
      givenname: u.givenname,
      surname: u.surname,
      mobile: u.mobile,
      phone: '',
      email: '',
      disabled: false,
      info: new Map<string, string | string[]>([
        ['username', u.login],
        ['givenname', u.givenname],
        ['surname', u.surname],
        ['mobile', u.mobile ? [u.mobile] : []],
      ]),
    };
  }

  async findByLogin(login: string, realm: string): Promise<DirectoryUser | null> {
    const u = this.table.get(this.checkLogin(login), realm);
    return u ? this.view(u) : null;
  }

  async findById(uid: string, realm: string): Promise<DirectoryUser | null> {
    return this.findByLogin(uid, realm);
  }

  async checkPassword(): Promise<boolean> {
    return false;
  }

  async list(realm: string, offset: number, limit: number): Promise<ListPage> {
    const all = this.table.list({ realm });
    return { users: all.slice(offset, offset + limit).map((u) => this.view(u)), truncated: all.length > offset + limit };
  }

  health() {
    return null;
  }

  async close(): Promise<void> {}
}
