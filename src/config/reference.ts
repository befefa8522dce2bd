// docs/config.md, rendered from the schema: every key with its type, default and meaning.
// `npm run docs:config` writes it; test/config/reference.test.ts fails when it is out of date.
import type { ZodType } from 'zod';
import { listKeys, type KeyInfo } from './introspect.js';
import { configSchema } from './schema.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string) => '`' + s.replace(/`/g, "'") + '`';

const INTRO = `# Configuration reference

<!-- Generated from src/config/schema.ts by \`npm run docs:config\`. Do not edit by hand:
     test/config/reference.test.ts fails when this file and the schema disagree. -->

The configuration is one JSON file: \`smsotpd serve --config FILE\` (or \`SMSOTPD_CONFIG=FILE\`).
Without one, the built-in defaults below apply (127.0.0.1:5000, data in \`./var\`, one simulated modem).
Every key is optional unless its default says **required**.

**Unknown keys stop start-up**, naming the key's path and the closest known key, so a misspelling
never lets a default win quietly:

\`\`\`
invalid configuration in /etc/smsotpd/config.json:
  token.otpLenght: unknown key; did you mean "otpLength"?
\`\`\`

Paths: \`sms.providers[modem].device\` is the \`device\` key of a provider entry whose \`type\` is
\`"modem"\`; \`[]\` is an element of a list; \`*\` is any name in a map (\`resolvers.*.LDAPURI\`).

## Phone numbers

Every phone number (users' \`mobile\`, tokens' \`phone\`, \`/sms/send\`, imports, the directory)
is stored and sent in E.164 (\`+4917612345678\`). Rules, in order:

1. Digits, spaces and \`- . / ( )\`, with an optional leading \`+\`; at most 64 characters.
2. \`+49 …\` and the region's international prefix (\`0049 …\` in DE, \`011 49 …\` in US) are
   international; a trunk \`(0)\` or \`0\` after the country code is dropped:
   \`+49 (0)176 12345678\` → \`+4917612345678\`. Without a region, \`00\` is read as \`+\`.
3. A leading trunk prefix is national and is read in \`sms.defaultRegion\`:
   \`0176-1234-5678\` with \`"defaultRegion": "DE"\` → \`+4917612345678\`. Without a region it is refused.
4. Digits without any prefix (\`4917612345678\`) are international when they begin with the
   region's own country code or there is no region, national otherwise; when that reading is not a
   possible number, the other one is tried. Write the \`+\` to be certain.
5. The number must have a possible length for its country code and at most 15 digits. Numbers in
   unassigned or private ranges are accepted: only what cannot be dialled is refused, and the error
   names the rule (\`Invalid mobile number: the number is too short for +49.\`).

Numbers stored by an older smsotpd are rewritten in E.164 at the first start with these rules
(\`+49 (0)176…\` stored as \`+49017612345678\` becomes \`+4917612345678\`). A number they cannot
read (a national one while \`sms.defaultRegion\` is unset) is kept as it was and named in the log
(masked) at every start until it is fixed (\`smsotpd user add NAME --mobile +…\`) or a region is set.
`;

/** The markdown of docs/config.md. */
export function renderConfigReference(schema: ZodType = configSchema): string {
  const keys = listKeys(schema);
  const live = keys.filter((k) => !k.removed);
  const removed = keys.filter((k) => k.removed);
  const sectionInfo = new Map(live.filter((k) => k.section).map((k) => [k.path, k]));

  // Rows grouped under their parent path, in schema order; the top level first.
  const groups = new Map<string, KeyInfo[]>();
  for (const k of live) {
    const parent = parentOf(k.path);
    if (!groups.has(parent)) groups.set(parent, []);
    groups.get(parent)!.push(k);
  }

  const out: string[] = [INTRO, '## Keys', ''];
  for (const [parent, rows] of groups) {
    out.push(`### ${parent === '' ? 'Top level' : code(parent)}`, '');
    const about = headingText(parent, sectionInfo);
    if (about) out.push(about, '');
    out.push('| key | type | default | meaning |', '|---|---|---|---|');
    for (const k of rows) {
      const name = k.path.slice(parent === '' ? 0 : parent.length + 1);
      const def = k.section && k.default === '{}' ? '' : k.default !== undefined ? code(k.default) : k.optional ? '(unset)' : '**required**';
      const meaning = (k.description ?? '') + (k.section ? ` See ${code(k.path)} below.` : '');
      out.push(`| ${code(name)} | ${cell(k.type)} | ${cell(def)} | ${cell(meaning.trim())} |`);
    }
    out.push('');
  }
  if (removed.length) {
    out.push('## Removed keys', '', 'Setting one of these stops start-up with this explanation.', '', '| key | why, and what to do |', '|---|---|');
    for (const k of removed) out.push(`| ${code(k.path)} | ${cell(k.removed!)} |`);
    out.push('');
  }
  return out.join('\n');
}

/** `sms.providers[modem].device` -> `sms.providers[modem]`; `dataDir` -> ''. */
function parentOf(path: string): string {
  const i = path.lastIndexOf('.');
  return i < 0 ? '' : path.slice(0, i);
}

function headingText(parent: string, sections: Map<string, KeyInfo>): string | undefined {
  const direct = sections.get(parent);
  if (direct?.description) return direct.description;
  // `sms.providers[modem]`: an element of a list of provider types.
  const m = /^(.*)\[([^\]]*)\]$/.exec(parent);
  if (m) {
    const list = sections.get(m[1]!);
    if (m[2]) return `Entries of ${code(m[1]!)} with ${code(`"type": "${m[2]}"`)}.`;
    return list?.description ? `Each element of ${code(m[1]!)}.` : undefined;
  }
  return undefined;
}
