import type { Store, UserRecord } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { PhoneNumberError, toE164 } from '../util/phone.js';
import { parameterError, userError } from './errors.js';
import { checkName } from './names.js';

/** Store key of a user: realm and login cannot contain NUL, so the pair is unambiguous. */
export const userKey = (realm: string, login: string) => `${realm}\u0000${login}`;

/**
 * E.164 (`+4917612345678`) from what an admin or a client typed; the rules are in util/phone.ts.
 * `region` is sms.defaultRegion, for national input. The error names the broken rule (ERR905).
 */
export function normalisePhone(raw: string, field = 'phone', region?: string): string {
  try {
    return toE164(raw, { region });
  } catch (err) {
    if (err instanceof PhoneNumberError) throw parameterError(`Invalid ${field} number: ${err.message}.`);
    throw err;
  }
}

/** privacyIDEA rejects '%' in user names; we accept a conservative character set (names.ts). */
export const checkLogin = (login: string): string => checkName('user', login);

export const checkRealm = (realm: string): string => checkName('realm', realm);

export interface UserInput {
  login: string;
  realm?: string;
  mobile?: string;
  givenname?: string;
  surname?: string;
}

const NAME_MAX = 100;

export class UserDirectory {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly defaultRealm: string,
    /** sms.defaultRegion: national mobile numbers are read in this region. */
    readonly defaultRegion?: string,
  ) {}

  /** Splits `user@realm` when no realm is given; the realm defaults to the default realm. */
  resolveName(user: string, realm?: string): { login: string; realm: string } {
    if (!realm) {
      const at = user.lastIndexOf('@');
      if (at > 0) {
        const candidate = user.slice(at + 1);
        // Only split when the part after @ is a realm we know; logins may be e-mail addresses.
        if (candidate === this.defaultRealm || this.realmExists(candidate)) {
          return { login: checkLogin(user.slice(0, at)), realm: candidate };
        }
      }
    }
    return { login: checkLogin(user), realm: checkRealm(realm || this.defaultRealm) };
  }

  get(login: string, realm: string): UserRecord | undefined {
    return this.store.get('users', userKey(realm, login));
  }

  /** The user, or privacyIDEA's 904 "unknown user". */
  require(login: string, realm: string): UserRecord {
    const u = this.get(login, realm);
    if (!u) throw userError();
    return u;
  }

  realmExists(realm: string): boolean {
    for (const u of Object.values(this.store.data.users)) if (u.realm === realm) return true;
    return false;
  }

  build(input: UserInput, existing?: UserRecord): UserRecord {
    const realm = checkRealm(input.realm || this.defaultRealm);
    const login = checkLogin(input.login);
    for (const [k, v] of [
      ['givenname', input.givenname],
      ['surname', input.surname],
    ] as const) {
      if (v !== undefined && (v.length > NAME_MAX || /[\u0000-\u001f]/.test(v))) {
        throw parameterError(`Invalid ${k}: at most ${NAME_MAX} printable characters.`);
      }
    }
    return {
      login,
      realm,
      mobile: input.mobile ? normalisePhone(input.mobile, 'mobile', this.defaultRegion) : (existing?.mobile ?? null),
      givenname: input.givenname ?? existing?.givenname ?? '',
      surname: input.surname ?? existing?.surname ?? '',
      createdAt: existing?.createdAt ?? this.clock.now(),
    };
  }

  /** Creates or updates (privacyIDEA's POST /user/ creates; we also update, which admins expect). */
  async upsert(input: UserInput): Promise<UserRecord> {
    const realm = input.realm || this.defaultRealm;
    const rec = this.build(input, this.get(input.login, realm));
    await this.store.commit([{ c: 'users', k: userKey(rec.realm, rec.login), v: rec }]);
    return rec;
  }

  async upsertMany(inputs: UserInput[]): Promise<number> {
    const recs = inputs.map((i) => this.build(i, this.get(i.login, i.realm || this.defaultRealm)));
    await this.store.commit(recs.map((r) => ({ c: 'users' as const, k: userKey(r.realm, r.login), v: r })));
    return recs.length;
  }

  async remove(login: string, realm: string): Promise<boolean> {
    if (!this.get(login, realm)) return false;
    await this.store.commit([{ c: 'users', k: userKey(realm, login), v: null }]);
    return true;
  }

  count(): number {
    return Object.keys(this.store.data.users).length;
  }

  list(filter: { realm?: string; login?: string } = {}): UserRecord[] {
    return Object.values(this.store.data.users)
      .filter((u) => (!filter.realm || u.realm === filter.realm) && (!filter.login || u.login === filter.login))
      .sort((a, b) => (a.realm + a.login).localeCompare(b.realm + b.login));
  }
}

/**
 * Parses a user CSV: header row with `user` (or `login`), optional `realm`, `mobile`,
 * `givenname`, `surname`. Quoted fields with doubled quotes are supported; errors name the line.
 */
export function parseUserCsv(text: string): UserInput[] {
  const rows = parseCsvRows(text);
  if (rows.length === 0) throw parameterError('CSV is empty.');
  const header = rows[0]!.map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const loginCol = col('user') >= 0 ? col('user') : col('login');
  if (loginCol < 0) throw parameterError('CSV header needs a "user" (or "login") column.');
  const known = new Set(['user', 'login', 'realm', 'mobile', 'givenname', 'surname']);
  const unknown = header.filter((h) => !known.has(h));
  if (unknown.length) throw parameterError(`CSV has unknown column(s): ${unknown.join(', ')}.`);
  const out: UserInput[] = [];
  rows.slice(1).forEach((r, i) => {
    if (r.length === 1 && r[0]!.trim() === '') return;
    const get = (name: string) => (col(name) >= 0 ? (r[col(name)] ?? '').trim() : '');
    const login = (r[loginCol] ?? '').trim();
    if (!login) throw parameterError(`CSV line ${i + 2}: empty user.`);
    const input: UserInput = { login };
    if (get('realm')) input.realm = get('realm');
    if (get('mobile')) input.mobile = get('mobile');
    if (get('givenname')) input.givenname = get('givenname');
    if (get('surname')) input.surname = get('surname');
    out.push(input);
  });
  return out;
}

export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',' || ch === ';') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}
