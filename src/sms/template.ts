/**
 * SMS text templates with privacyIDEA's tags: {otp} {serial} {user} (= given name) {username}
 * {givenname} {surname} {userrealm} {time} {date} {challenge}, and its legacy <otp>/<serial>.
 * Unknown tags become empty, never an error: a typo in the template must not stop logins.
 */
export interface TemplateValues {
  otp: string;
  serial?: string;
  username?: string;
  givenname?: string;
  surname?: string;
  userrealm?: string;
  challenge?: string;
  /** Epoch ms used for {time} and {date} (server local time, as privacyIDEA). */
  now: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * One tag's value. A switch, not an object or Map built per message: a tag name comes from the
 * admin's template text, and `{constructor}` must be an unknown tag (it vanishes), not Object's
 * constructor's source text; the clock is read only for {time} and {date}.
 */
function tagValue(name: string, v: TemplateValues): string {
  switch (name) {
    case 'otp':
      return v.otp;
    case 'serial':
      return v.serial ?? '';
    case 'user':
    case 'givenname':
      return v.givenname ?? '';
    case 'username':
      return v.username ?? '';
    case 'surname':
      return v.surname ?? '';
    case 'userrealm':
      return v.userrealm ?? '';
    case 'tokentype':
      return 'sms';
    case 'challenge':
      return v.challenge ?? '';
    case 'time': {
      const d = new Date(v.now);
      return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    }
    case 'date': {
      const d = new Date(v.now);
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    }
    default:
      return '';
  }
}

export function renderSmsText(template: string, v: TemplateValues): string {
  return template
    .replace(/<otp>/g, v.otp)
    .replace(/<serial>/g, v.serial ?? '')
    .replace(/\{([A-Za-z_]+)\}/g, (_m, name: string) => tagValue(name, v));
}
