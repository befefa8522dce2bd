/**
 * privacyIDEA's REGEXP option: a sed-style `/pattern/replacement/` applied to the phone number
 * before sending (e.g. `/^\+/00/`, or `/[\+/]//` to strip + and /). Compiled once at start, so
 * a broken expression is a configuration error, not a failed login.
 */
export function compilePhoneRewrite(spec: string | undefined): (phone: string) => string {
  if (!spec) return (p) => p;
  const m = /^\/((?:\\.|[^\\/])*)\/((?:\\.|[^\\/])*)\/$/.exec(spec);
  if (!m) throw new Error(`REGEXP "${spec}" is not of the form /pattern/replacement/`);
  let re: RegExp;
  try {
    re = new RegExp(m[1]!, 'g');
  } catch (err) {
    throw new Error(`REGEXP "${spec}": ${(err as Error).message}`);
  }
  // Python's re.sub uses \1 for groups; JavaScript uses $1.
  const replacement = m[2]!.replace(/\\(\d)/g, '$$$1').replace(/\\\//g, '/');
  return (phone) => phone.replace(re, replacement);
}
