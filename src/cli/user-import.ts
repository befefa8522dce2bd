import { readFileSync } from 'node:fs';
import { checkLogin, checkRealm, normalisePhone, type UserInput } from '../token/users.js';
import { CliError } from './client.js';
import { describeError } from './errors.js';

/** What `POST /user/import` takes per row. */
export interface ImportRow {
  user: string;
  realm?: string;
  mobile?: string;
  givenname?: string;
  surname?: string;
}

const withoutCode = (msg: string) => msg.replace(/^ERR\d+:\s*/, '');

/**
 * `smsotpd user import FILE.csv`: reads and parses the file, checks every row with the same
 * rules the API applies (so a refusal names the CSV line and the user, not just the rule), then
 * sends all rows in one all-or-nothing import. Returns how many users were imported.
 */
export async function importUsersFromCsv(
  file: string,
  parse: (text: string) => UserInput[],
  send: (rows: ImportRow[]) => Promise<number>,
  region?: string,
): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${describeError(err).replace(/^open \S+: /, '')}`);
  }
  let users: UserInput[];
  try {
    users = parse(text);
  } catch (err) {
    throw new CliError(`${file}: ${withoutCode((err as Error).message)}`);
  }
  // parseUserCsv skips blank lines; a row's line is its index + 2 (after the header) otherwise.
  users.forEach((u, i) => {
    try {
      checkLogin(u.login);
      if (u.realm) checkRealm(u.realm);
      if (u.mobile) normalisePhone(u.mobile, 'mobile', region);
    } catch (err) {
      const shown = /^[\x20-\x7e]{1,100}$/.test(u.login) ? JSON.stringify(u.login) : '(unprintable)';
      throw new CliError(`${file}, CSV line ${i + 2} (user ${shown}): ${withoutCode((err as Error).message)} Nothing was imported.`);
    }
  });
  if (users.length === 0) throw new CliError(`${file} has a header but no users`);
  return send(users.map((u) => ({ user: u.login, realm: u.realm, mobile: u.mobile, givenname: u.givenname, surname: u.surname })));
}
