import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema, type Config } from './schema.js';
import { describeUnknownKey, findUnknownKeys } from './strict.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Formats zod issues as `path.to.key: message` lines an admin can act on. */
function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string[] {
  return issues.map((i) => `  ${i.path.length ? i.path.map(String).join('.') : '(top level)'}: ${i.message}`);
}

/**
 * Validates a parsed config object and fills in every default. `source` names it in errors.
 * Unknown keys are errors too (with a "did you mean"), listed before the other problems.
 */
export function parseConfig(raw: unknown, source = 'config'): Config {
  const input = raw ?? {};
  const unknown = findUnknownKeys(configSchema, input).map(describeUnknownKey);
  const result = configSchema.safeParse(input);
  const problems = [...unknown, ...(result.success ? [] : describeIssues(result.error.issues))];
  if (problems.length > 0 || !result.success) {
    throw new ConfigError(`invalid configuration in ${source}:\n${problems.join('\n')}`);
  }
  return result.data;
}

/**
 * Loads the config from `file`, or `SMSOTPD_CONFIG`, or the built-in defaults when neither is set.
 * A relative dataDir is resolved against the current directory, as the quick start expects `./var`.
 */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Config & { source: string } {
  const chosen = file ?? env.SMSOTPD_CONFIG;
  let raw: unknown = {};
  let source = 'built-in defaults';
  if (chosen) {
    source = chosen;
    let text: string;
    try {
      text = readFileSync(chosen, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${chosen}: ${(err as Error).message}`);
    }
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`config file ${chosen} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const cfg = parseConfig(raw, source);
  return { ...cfg, dataDir: path.resolve(cfg.dataDir), source };
}
