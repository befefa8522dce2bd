import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The rule and its layer map are plain JavaScript (eslint.config.js): loaded at run time.
const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
type Units = Record<string, { may: string[] }>;
type Exception = { from: string; to: string; why: string };
let units: Units;
let exceptions: Exception[];
let plugin: { rules: Record<string, unknown> };

beforeAll(async () => {
  const config = (await import(pathToFileURL(path.join(root, 'eslint.config.js')).href)) as { units: Units; exceptions: Exception[] };
  units = config.units;
  exceptions = config.exceptions;
  plugin = ((await import(pathToFileURL(path.join(root, 'eslint/import-direction.js')).href)) as { default: typeof plugin }).default;
});

function lint(file: string, code: string, extraExceptions: Exception[] = []): Linter.LintMessage[] {
  const linter = new Linter({ configType: 'flat', cwd: root });
  return linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser as Linter.Parser },
        plugins: { smsotpd: plugin as never },
        rules: { 'smsotpd/import-direction': ['error', { srcDir: 'src', units, exceptions: [...exceptions, ...extraExceptions] }] },
      },
    ],
    { filename: path.join(root, file) },
  );
}

describe('import direction (DESIGN.md: imports point down, never up)', () => {
  it('catches an upward import, naming both files and what the importer may use', () => {
    const m = lint('src/store/new-thing.ts', "import type { TokenRecord } from '../token/registry.js';\nexport const x = 1;\n");
    expect(m).toHaveLength(1);
    expect(m[0]!.ruleId).toBe('smsotpd/import-direction');
    expect(m[0]!.message).toContain('src/store/new-thing.ts (store) must not import src/token/registry.js (token): store may import only util');
  });

  it.each([
    ['src/modem/new.ts', "import { x } from '../sms/outbox.js';"],
    ['src/modem/new.ts', "export * from '../sim/modem.js';"],
    ['src/util/new.ts', "import { x } from '../config/schema.js';"],
    ['src/token/new.ts', "import { x } from '../api/app.js';"],
    ['src/directory/new.ts', "import { x } from '../token/users.js';"],
    ['src/sms/dispatcher2.ts', "import { Modem } from '../modem/modem.js';"],
    ['src/api/routes/new.ts', "const m = await import('../../modem/pool.js');"],
    ['src/sms/providers/new.ts', "export { x } from '../../token/validate.js';"],
    // api/ reads the state through token/ and sms/ only: not even a type from store/ (issue 13).
    ['src/api/context.ts', "import type { Store } from '../store/types.js';"],
    ['src/api/metrics.ts', "import type { Store } from '../store/types.js';"],
    ['src/api/routes/sms.ts', "import type { OutboxRecord } from '../../store/types.js';"],
  ])('%s: %s is refused', (file, code) => {
    expect(lint(file, code).map((m) => m.ruleId)).toEqual(['smsotpd/import-direction']);
  });

  it.each([
    ['src/api/routes/new.ts', "import { x } from '../../token/validate.js'; import { y } from '../../sms/outbox.js';"],
    ['src/token/new.ts', "import { x } from '../store/types.js'; import { y } from '../directory/local.js'; import { z } from '../sms/outbox.js';"],
    ['src/sms/providers/new.ts', "import { Modem } from '../../modem/modem.js'; import { p } from '../provider.js';"],
    ['src/directory/new.ts', "import { x } from '../store/types.js'; import { u } from '../util/phone.js';"],
    ['src/cli/new.ts', "import { createCore } from '../core.js'; import { s } from '../sim/modem.js';"],
    ['src/modem/new.ts', "import { x } from './pdu.js'; import { c } from '../util/clock.js'; import { z } from 'zod';"],
  ])('%s: %s is allowed', (file, code) => {
    expect(lint(file, code)).toEqual([]);
  });

  it('a listed exception excuses exactly its file, and one that matches nothing is reported', () => {
    const extra = [{ from: 'src/store/legacy.ts', to: 'src/token/', why: 'test' }];
    expect(lint('src/store/legacy.ts', "import { x } from '../token/users.js';", extra)).toEqual([]);
    expect(lint('src/store/other.ts', "import { x } from '../token/users.js';", extra)).toHaveLength(1);
    const stale = lint('src/store/legacy.ts', "import { x } from '../util/clock.js';", extra);
    expect(stale.map((m) => m.message)).toEqual([expect.stringContaining('matches no import any more: remove it')]);
  });

  it('a folder the layer map does not know is reported, not waved through', () => {
    const m = lint('src/newpart/thing.ts', "import { x } from '../util/clock.js';");
    expect(m.map((x) => x.message)).toEqual([expect.stringContaining('add its folder to the units map')]);
  });

  it('is on in the project config for every file under src/', async () => {
    const eslint = new ESLint({ cwd: root });
    const cfg = (await eslint.calculateConfigForFile(path.join(root, 'src/modem/at.ts'))) as { rules: Record<string, unknown[]> };
    expect(cfg.rules['smsotpd/import-direction']?.[0]).toBe(2);
  });
});
