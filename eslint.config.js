// ESLint flat config: typescript-eslint's recommended rules, a few type-aware ones that catch real
// bugs in async code, and the import direction of DESIGN.md as a rule of its own.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import smsotpd from './eslint/import-direction.js';

/**
 * What each folder of src/ may import (besides itself). The longest matching folder wins, so
 * sms/providers has its own entry; '.' is the files directly in src/ (core.ts wires everything).
 * `config` is everyone's vocabulary (types and defaults; it imports only util); `util` imports
 * nothing of the app. DESIGN.md: api -> token -> store, token -> sms, sms -> providers -> modem;
 * directory is used by token and api and imports store/util only; modem/ and store/ import
 * nothing above them; sim/ (the simulated modem) speaks to modem/ from the outside, so only the
 * composition root and the CLI may build one.
 */
const all = ['api', 'tls', 'token', 'directory', 'sms', 'sms/providers', 'modem', 'sim', 'store', 'config', 'util'];
export const units = {
  '.': { may: all },
  cli: { may: [...all, '.'] },
  api: { may: ['tls', 'token', 'directory', 'sms', 'config', 'util'] },
  tls: { may: ['config', 'util'] },
  token: { may: ['directory', 'sms', 'store', 'config', 'util'] },
  directory: { may: ['store', 'config', 'util'] },
  sms: { may: ['sms/providers', 'store', 'config', 'util'] },
  'sms/providers': { may: ['sms', 'modem', 'config', 'util'] },
  sim: { may: ['modem', 'util'] },
  modem: { may: ['util'] },
  store: { may: ['util'] },
  config: { may: ['util'] },
  util: { may: [] },
};

/**
 * Temporary exceptions: code that predates the rule and is being refactored by the issue named.
 * Whoever removes the import removes its line here (the rule reports an exception that matches
 * nothing any more). `to` is a file or a folder prefix.
 */
export const exceptions = [
  // The provider face builds the built-in simulated modem for type "simulator" (DESIGN.md layout).
  { from: 'src/sms/providers/modem.ts', to: 'src/sim/', why: 'the simulator provider type wires src/sim/ to the driver' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'dist-deb/**', 'coverage/**', 'reports/**', '.stryker-tmp/**', '.stryker/**', 'var/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` marks a parameter kept for an interface's shape.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Warn, not fail: a few CLI paths print arbitrary JSON; new code should say `unknown`.
      '@typescript-eslint/no-explicit-any': 'warn',
      // Protocol and validation code matches control characters (Ctrl-Z, ESC, C0) on purpose.
      'no-control-regex': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    // Type-aware rules, only the cheap ones that catch lost promises. (await-thenable is off: it
    // flags Promise.all over the provider listeners' `void | Promise<boolean>`, a union by design.)
    files: ['src/**/*.ts', 'src/**/*.tsx', 'src/**/*.cts', 'test/**/*.ts', 'test/**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx', 'src/**/*.cts'],
    plugins: { smsotpd },
    rules: { 'smsotpd/import-direction': ['error', { srcDir: 'src', units, exceptions }] },
  },
  {
    // The CommonJS bin shim loads the ESM entry point.
    files: ['**/*.cts', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests may reach into anything and use `any` for hostile input.
    files: ['test/**/*.ts', 'test/**/*.tsx'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
