// Writes docs/config.md from the config schema (run through `npm run docs:config`, after the
// build). `--check` only compares and exits 1 when the file is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A computed specifier: the built module is loaded at run time, not type-checked as part of scripts/.
const { renderConfigReference } = await import(new URL('../dist/config/reference.js', import.meta.url).href);
const target = fileURLToPath(new URL('../docs/config.md', import.meta.url));
const text = renderConfigReference();
let current = '';
try {
  current = readFileSync(target, 'utf8');
} catch {
  // no file yet
}
if (process.argv.includes('--check')) {
  if (current !== text) {
    console.error('docs/config.md is out of date: run npm run docs:config');
    process.exit(1);
  }
} else if (current !== text) {
  writeFileSync(target, text);
  console.log('docs/config.md written');
} else {
  console.log('docs/config.md is up to date');
}
