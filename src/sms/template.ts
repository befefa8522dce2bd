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

export function renderSmsText(template: string, v: TemplateValues): string {
  const d = new Date(v.now);
  // A Map: a tag name comes from the admin's template text, and `{constructor}` must be an unknown
  // tag (it vanishes), not Object's constructor's source text.
  const tags = new Map<string, string>(
    Object.entries({
      otp: v.otp,
      serial: v.serial ?? '',
      user: v.givenname ?? '',
      username: v.username ?? '',
      givenname: v.givenname ?? '',
      surname: v.surname ?? '',
      userrealm: v.userrealm ?? '',
      tokentype: 'sms',
      challenge: v.challenge ?? '',
      time: `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
      date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    }),
  );
  return template
    .replace(/<otp>/g, v.otp)
    .replace(/<serial>/g, tags.get('serial')!)
    .replace(/\{([A-Za-z_]+)\}/g, (_m, name: string) => tags.get(name) ?? '');
}
