// ESLint rule `smsotpd/import-direction`: the DESIGN.md picture ("imports point down, never up")
// as a check. Each file under src/ belongs to the unit of the longest matching folder in the
// `units` map; a relative import into another unit is allowed only when that unit is in the
// importer's `may` list. Resolution is by path, not by module resolver: the project imports
// `./x.js` for `./x.ts`, and only the folder matters here.
import path from 'node:path';

/** @param {string} p */
const posix = (p) => p.split(path.sep).join('/');

/**
 * @param {Record<string, {may: string[]}>} units  folder (relative to src/, '.' = files directly in src/) -> allowed targets
 * @param {string} rel  a path relative to src/, posix separators
 */
function unitOf(units, rel) {
  let best = null;
  for (const name of Object.keys(units)) {
    if (name === '.') continue;
    if ((rel === name || rel.startsWith(name + '/')) && (!best || name.length > best.length)) best = name;
  }
  if (best) return best;
  return rel.includes('/') ? null : '.';
}

/** @type {import('eslint').Rule.RuleModule} */
export const importDirection = {
  meta: {
    type: 'problem',
    docs: { description: 'imports point down the layer picture in DESIGN.md, never up' },
    schema: [
      {
        type: 'object',
        properties: {
          srcDir: { type: 'string' },
          units: { type: 'object' },
          exceptions: { type: 'array' },
        },
        required: ['units'],
        additionalProperties: false,
      },
    ],
    messages: {
      upward:
        '{{from}} ({{fromUnit}}) must not import {{to}} ({{toUnit}}): {{fromUnit}} may import only {{allowed}}. ' +
        'Imports point down (DESIGN.md, "The house"); to change the design, change the units map in eslint.config.js.',
      staleException: 'the import-direction exception for {{from}} -> {{to}} ({{why}}) matches no import any more: remove it from eslint.config.js.',
      unknownUnit: '{{file}} is in a folder the layer map does not know: add its folder to the units map in eslint.config.js (what it may import).',
    },
  },
  create(context) {
    const opts = context.options[0] ?? {};
    const srcDir = path.resolve(context.cwd, opts.srcDir ?? 'src');
    /** @type {Record<string, {may: string[]}>} */
    const units = opts.units;
    /** @type {{from: string, to: string, why: string}[]} */
    const exceptions = opts.exceptions ?? [];
    const filename = path.resolve(context.filename);
    const fromRel = posix(path.relative(srcDir, filename));
    if (fromRel.startsWith('..') || path.isAbsolute(fromRel)) return {};
    const fromUnit = unitOf(units, fromRel);
    const fileLabel = `src/${fromRel}`;
    const mine = exceptions.filter((e) => e.from === fileLabel);
    const used = new Set();

    /** @param {import('estree').Node} node @param {unknown} source */
    function check(node, source) {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = path.resolve(path.dirname(filename), source);
      const toRel = posix(path.relative(srcDir, target));
      if (toRel.startsWith('..') || path.isAbsolute(toRel)) return; // outside src/ (package.json, ...)
      const toUnit = unitOf(units, toRel);
      if (fromUnit === null) {
        context.report({ node, messageId: 'unknownUnit', data: { file: fileLabel } });
        return;
      }
      if (toUnit === fromUnit) return;
      const allowed = units[fromUnit]?.may ?? [];
      if (toUnit !== null && allowed.includes(toUnit)) return;
      const toLabel = `src/${toRel}`;
      const excused = mine.find((e) => toLabel === e.to || toLabel.startsWith(e.to));
      if (excused) {
        used.add(excused);
        return;
      }
      context.report({
        node,
        messageId: 'upward',
        data: {
          from: fileLabel,
          fromUnit: fromUnit === '.' ? 'src/' : fromUnit,
          to: toLabel,
          toUnit: toUnit ?? '?',
          allowed: allowed.length ? allowed.join(', ') : 'nothing of the app',
        },
      });
    }

    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
      'Program:exit': (node) => {
        for (const e of mine) {
          if (!used.has(e)) context.report({ node, messageId: 'staleException', data: { from: e.from, to: e.to, why: e.why } });
        }
      },
    };
  },
};

export default { rules: { 'import-direction': importDirection } };
