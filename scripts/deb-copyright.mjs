// Writes debian/copyright (DEP-5) for the .deb: smsotpd under AGPL-3.0-or-later, then one Files
// paragraph per bundled npm package with the licence its package.json declares, and each
// licence's text once (from the first package that ships a licence file for it).
//   node scripts/deb-copyright.mjs APPDIR INSTALLDIR > copyright
// APPDIR holds node_modules; INSTALLDIR is where APPDIR ends up on the target (/usr/lib/smsotpd).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [appDir, installDir] = process.argv.slice(2);
if (!appDir || !installDir) {
  console.error('usage: deb-copyright.mjs APPDIR INSTALLDIR');
  process.exit(2);
}
const rel = installDir.replace(/^\//, '');

function packages(dir) {
  const found = [];
  const nm = path.join(dir, 'node_modules');
  if (!existsSync(nm)) return found;
  for (const e of readdirSync(nm)) {
    if (e.startsWith('.')) continue;
    const dirs = e.startsWith('@') ? readdirSync(path.join(nm, e)).map((s) => path.join(nm, e, s)) : [path.join(nm, e)];
    for (const d of dirs) {
      if (!existsSync(path.join(d, 'package.json'))) continue;
      found.push(d, ...packages(d));
    }
  }
  return found;
}

const LICENSE_FILE = /^(licen[cs]e|copying)(\.(md|txt|markdown))?$/i;
// SPDX to the short names DEP-5 uses.
const dep5 = (spdx) =>
  spdx
    .replace(/\bApache-2\.0\b/, 'Apache-2.0')
    .replace(/^\((.*)\)$/, '$1')
    .replace(/ OR /g, ' or ')
    .replace(/ AND /g, ' and ');
const fmt = (text) =>
  text
    .replace(/\r/g, '')
    .trim()
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l.trimEnd()}`))
    .join('\n');

// Packages whose package.json declares no licence, read from their licence file by hand.
const DECLARED_BY_FILE = new Map([['thirty-two', 'MIT']]); // LICENSE.txt: the MIT text, (c) 2011 Chris Umbel

// Licences Debian ships in /usr/share/common-licenses: referred to, not copied (Policy 12.5).
const COMMON = new Set(['Apache-2.0', 'CC0-1.0', 'GPL-2', 'GPL-3', 'LGPL-2.1', 'LGPL-3', 'MPL-2.0']);

const texts = new Map();
const paragraphs = [];
for (const d of packages(appDir).sort()) {
  const pkg = JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8'));
  const licence = dep5(typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? DECLARED_BY_FILE.get(pkg.name) ?? 'UNKNOWN'));
  if (licence === 'UNKNOWN') throw new Error(`${pkg.name} declares no licence`);
  const file = readdirSync(d).find((f) => LICENSE_FILE.test(f));
  const text = file ? readFileSync(path.join(d, file), 'utf8') : '';
  const notice = text
    .split('\n')
    .filter((l) => /copyright\s*(\(c\)|©|\d{4})/i.test(l))
    .map((l) => l.replace(/^\s*(copyright\s*)?/i, '').trim());
  const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
  const holders = notice.length ? notice : [author ? author : `the ${pkg.name} authors`];
  paragraphs.push(
    `Files: ${rel}/${path.relative(appDir, d)}/*\nCopyright: ${holders.map((h, i) => (i ? ` ${h}` : h)).join('\n')}\nLicense: ${licence}`,
  );
  for (const part of licence.split(/ or | and /)) if (!texts.has(part) && text) texts.set(part, text);
}

const AGPL_NOTE = `This program is free software: you can redistribute it and/or modify
it under the terms of the GNU Affero General Public License as published by
the Free Software Foundation, either version 3 of the License, or
(at your option) any later version.

This program is distributed in the hope that it will be useful,
but WITHOUT ANY WARRANTY; without even the implied warranty of
MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
GNU Affero General Public License for more details.

You should have received a copy of the GNU Affero General Public License
along with this program.  If not, see <https://www.gnu.org/licenses/>.`;

const out = [
  `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: smsotpd
Upstream-Contact: smsotpd developers <smsotpd@users.noreply.github.com>
Source: https://github.com/smsotpd/smsotpd`,
  `Files: *\nCopyright: 2025-2026 smsotpd developers\nLicense: AGPL-3.0-or-later`,
  ...paragraphs,
  `License: AGPL-3.0-or-later\n${fmt(AGPL_NOTE)}`,
  ...[...texts.entries()]
    .sort()
    .map(([name, text]) =>
      COMMON.has(name)
        ? `License: ${name}\n On Debian systems, the complete text of the ${name} licence is in\n /usr/share/common-licenses/${name}.`
        : `License: ${name}\n${fmt(text)}`,
    ),
];
const missing = new Set(paragraphs.flatMap((p) => p.split('License: ')[1].split(/ or | and /)).filter((l) => !texts.has(l)));
if (missing.size) throw new Error(`no licence text shipped for: ${[...missing].join(', ')}`);
process.stdout.write(`${out.join('\n\n')}\n`);
