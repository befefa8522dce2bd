// Unknown keys in a config file stop start-up: a misspelled key would otherwise be dropped and
// its default would quietly win. Walks the raw JSON along the schema, so every object in
// schema.ts is strict without saying so (z.looseObject opts out, z.record holds names).
import type { ZodType } from 'zod';
import { didYouMean } from '../util/did-you-mean.js';
import { defOf, listKeys, objectShape, singleObjectOption, unionOption, unwrap } from './introspect.js';

export interface UnknownKey {
  /** Path of the unknown key itself, as zod writes issue paths (`sms.providers.0.devce`). */
  path: Array<string | number>;
  key: string;
  /** A known key at the same place that is close to what was typed. */
  suggestion: string | undefined;
  /** Places elsewhere in the schema where exactly this key exists (`token.otpLength`). */
  elsewhere: string[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function findUnknownKeys(schema: ZodType, value: unknown): UnknownKey[] {
  const found: Array<Omit<UnknownKey, 'elsewhere'>> = [];
  walk(schema, value, [], found);
  if (found.length === 0) return [];
  const all = listKeys(schema);
  return found.map((f) => ({
    ...f,
    elsewhere: f.suggestion
      ? []
      : all
          .filter(
            (k) =>
              !k.removed &&
              k.path
                .split('.')
                .at(-1)
                ?.replace(/\[.*\]$/, '')
                .toLowerCase() === f.key.toLowerCase(),
          )
          .map((k) => k.path)
          .slice(0, 3),
  }));
}

function walk(schema: ZodType, value: unknown, path: Array<string | number>, found: Array<Omit<UnknownKey, 'elsewhere'>>): void {
  const core = unwrap(schema).core;
  const d = defOf(core);
  if (d.type === 'object' && isPlainObject(value)) {
    const obj = objectShape(core)!;
    for (const key of Object.keys(value)) {
      if (Object.hasOwn(obj.shape, key)) walk(obj.shape[key]!, value[key], [...path, key], found);
      else if (!obj.open) found.push({ path: [...path, key], key, suggestion: didYouMean(key, Object.keys(obj.shape))[0] });
    }
  } else if (d.type === 'array' && d.element && Array.isArray(value)) {
    value.forEach((item, i) => walk(d.element!, item, [...path, i], found));
  } else if (d.type === 'record' && d.valueType && isPlainObject(value)) {
    for (const key of Object.keys(value)) walk(d.valueType, value[key], [...path, key], found);
  } else if (d.type === 'union' && d.options) {
    // A discriminated union checks the option the value names (a wrong `type` is zod's error);
    // a plain union with exactly one object option (`listen.tls`: "auto" or {cert, key}) checks that.
    const option = d.discriminator ? unionOption(core, value) : isPlainObject(value) ? singleObjectOption(core) : undefined;
    if (option) walk(option, value, path, found);
  }
}

/** One line per unknown key: `  tokne: unknown key; did you mean "token"?` */
export function describeUnknownKey(u: UnknownKey): string {
  const where = u.path.map(String).join('.');
  const hint = u.suggestion
    ? `; did you mean "${u.suggestion}"?`
    : u.elsewhere.length
      ? `; "${u.key}" belongs at ${u.elsewhere.join(' or ')}`
      : ' (see docs/config.md for the keys allowed here)';
  return `  ${where}: unknown key${hint}`;
}
