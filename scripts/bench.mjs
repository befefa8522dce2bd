// `npm run bench`: runs each benchmark as its own process (so one's heap and JIT do not colour
// another's figures) and writes docs/BENCHMARKS.md with the figures and the command behind each.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const benches = [
  { id: 'api', title: 'Logins: step 1 and step 2 through the HTTP API (issue 2)', script: 'scripts/bench-api.mjs' },
  // Runs with `api` too: the login figures over HTTPS beside plain HTTP.
  { id: 'api-tls', title: 'Logins over HTTPS beside plain HTTP (issue 15)', script: 'scripts/bench-api-tls.mjs', with: 'api' },
  { id: 'modem', title: 'Modems: throughput, latency, faults (issue 3)', script: 'scripts/bench-modem.mjs' },
  { id: 'failover', title: 'Failover and the gateway role (issue 4)', script: 'scripts/bench-failover.mjs' },
  { id: 'directory', title: 'Directory logins: otppin userstore against OpenLDAP (issue 14)', script: 'scripts/bench-directory.mjs' },
  { id: 'delivery', title: 'Delivery reports and the inbox (issue 12)', script: 'scripts/bench-delivery.mjs' },
];

const docFile = path.join(root, 'docs/BENCHMARKS.md');
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const previous = existsSync(docFile) ? readFileSync(docFile, 'utf8') : '';
const sections = new Map();
// Keep sections of benches not run this time, so `npm run bench -- modem` updates one part only.
for (const m of previous.matchAll(/<!-- bench:([\w-]+) -->\n([\s\S]*?)<!-- \/bench:\1 -->/g)) sections.set(m[1], m[2]);

for (const b of benches) {
  if (only.length && !only.includes(b.id) && !(b.with && only.includes(b.with))) continue;
  if (!existsSync(path.join(root, b.script))) {
    console.error(`skip ${b.id}: ${b.script} not found`);
    continue;
  }
  console.error(`bench ${b.id}: node ${b.script} ...`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(root, b.script)], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  });
  if (r.status !== 0) {
    console.error(`bench ${b.id} failed (exit ${r.status})`);
    process.exitCode = 1;
    continue;
  }
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  sections.set(
    b.id,
    `## ${b.title}\n\nCommand: \`npm run bench -- ${b.id}\` (runs \`node ${b.script}\` after \`npm run build\`), ${when} UTC, ${Math.round((Date.now() - t0) / 1000)} s, on ${machine}.\n\n${r.stdout.trim()}\n\n`,
  );
}

const header = `# Benchmarks

Produced by \`npm run bench\` (all) or \`npm run bench -- <name>\` (one of: ${benches.map((b) => b.id).join(', ')}).
Each section names the machine it was measured on: sections are re-run one at a time, and the
machines this project gets differ (the same code measures 1.5-1.8 times faster on the 2-core Intel
Xeon machines of earlier runs than on the 2-core AMD EPYC one of 2026-12-03). Everything runs on loopback; the daemon fsyncs every change before it answers.

`;
// Sections this script does not produce (the SD-card image's, written by hand from
// scripts/verify-image.sh) are kept after its own, never dropped.
const order = [
  ...benches.map((b) => b.id).filter((id) => sections.has(id)),
  ...[...sections.keys()].filter((id) => !benches.some((b) => b.id === id)),
];
const body = order.map((id) => `<!-- bench:${id} -->\n${sections.get(id)}<!-- /bench:${id} -->`).join('\n\n');
writeFileSync(docFile, `${header}${body}\n`);
console.error(`wrote ${path.relative(root, docFile)}`);
