// Reads the zod config schema as data: which keys exist where, their types, defaults and
// descriptions. Both the unknown-key check and the generated docs/config.md walk the schema
// through this file, so a key added anywhere in schema.ts is known to both without extra code.
import { globalRegistry, type ZodType } from 'zod';

/** The parts of zod's internal definition this file reads (zod 4). */
interface Def {
  type: string;
  innerType?: ZodType;
  in?: ZodType;
  out?: ZodType;
  getter?: () => ZodType;
  defaultValue?: unknown;
  shape?: Record<string, ZodType>;
  catchall?: ZodType;
  element?: ZodType;
  valueType?: ZodType;
  options?: ZodType[];
  discriminator?: string;
  values?: unknown[];
  entries?: Record<string, unknown>;
  checks?: Array<{ _zod: { def: { check: string; [k: string]: unknown } } }>;
}

export const defOf = (s: ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

export interface Unwrapped {
  /** The schema under optional/default/pipe wrappers. */
  core: ZodType;
  optional: boolean;
  hasDefault: boolean;
  defaultValue: unknown;
  description: string | undefined;
  removed: string | undefined;
}

/** Strips wrappers, collecting what they say (outermost description wins). */
export function unwrap(schema: ZodType): Unwrapped {
  const out: Unwrapped = { core: schema, optional: false, hasDefault: false, defaultValue: undefined, description: undefined, removed: undefined };
  let s = schema;
  for (let depth = 0; depth < 32; depth++) {
    const meta = globalRegistry.get(s) as { description?: string; removed?: string } | undefined;
    out.description ??= meta?.description;
    out.removed ??= meta?.removed;
    const d = defOf(s);
    if (d.type === 'optional') out.optional = true;
    if ((d.type === 'default' || d.type === 'prefault') && !out.hasDefault) {
      out.hasDefault = true;
      out.defaultValue = d.defaultValue;
    }
    if (WRAPPERS.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = defOf(d.in).type === 'transform' && d.out ? d.out : d.in;
    else if (d.type === 'lazy' && d.getter) s = d.getter();
    else break;
  }
  out.core = s;
  return out;
}

/** For an object schema: its keys and whether other keys are refused (the default here). */
export function objectShape(core: ZodType): { shape: Record<string, ZodType>; open: boolean } | null {
  const d = defOf(core);
  if (d.type !== 'object' || !d.shape) return null;
  // z.looseObject (catchall unknown) opts out of strictness; plain and strict objects are strict.
  const open = d.catchall !== undefined && defOf(d.catchall).type !== 'never';
  return { shape: d.shape, open };
}

/** For a plain union (`"auto"` or `{cert, key}`): its one object option, if it has exactly one. */
export function singleObjectOption(core: ZodType): ZodType | undefined {
  const d = defOf(core);
  if (d.type !== 'union' || d.discriminator || !d.options) return undefined;
  const objects = d.options.filter((o) => defOf(unwrap(o).core).type === 'object');
  return objects.length === 1 ? unwrap(objects[0]!).core : undefined;
}

/** A discriminated union's option for `value`'s discriminator, or undefined. */
export function unionOption(core: ZodType, value: unknown): ZodType | undefined {
  const d = defOf(core);
  if (d.type !== 'union' || !d.discriminator || !d.options) return undefined;
  if (value === null || typeof value !== 'object') return undefined;
  const tag = (value as Record<string, unknown>)[d.discriminator];
  return d.options.find((o) => discriminatorValues(o, d.discriminator!).includes(tag));
}

export function discriminatorValues(option: ZodType, key: string): unknown[] {
  const obj = objectShape(unwrap(option).core);
  const tagSchema = obj && Object.hasOwn(obj.shape, key) ? unwrap(obj.shape[key]!).core : undefined;
  return tagSchema ? (defOf(tagSchema).values ?? []) : [];
}

/** One documented position in the config: a key, its type, default and meaning. */
export interface KeyInfo {
  /** `sms.providers[modem].device`, `resolvers.*.LDAPURI`; `[]` is a list element. */
  path: string;
  type: string;
  /** JSON of the default, or undefined when there is none. */
  default: string | undefined;
  optional: boolean;
  description: string | undefined;
  removed: string | undefined;
  /** True for a key whose value is itself documented key by key (an object). */
  section: boolean;
}

/** Every key under `schema`, depth first, in schema order. */
export function listKeys(schema: ZodType, prefix = ''): KeyInfo[] {
  const out: KeyInfo[] = [];
  walkObject(schema, prefix, out);
  return out;
}

function walkObject(schema: ZodType, prefix: string, out: KeyInfo[]): void {
  const obj = objectShape(unwrap(schema).core);
  if (!obj) return;
  for (const [key, child] of Object.entries(obj.shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    visit(child, path, out);
  }
}

function visit(schema: ZodType, path: string, out: KeyInfo[]): void {
  const u = unwrap(schema);
  const d = defOf(u.core);
  const info: KeyInfo = {
    path,
    type: typeName(u.core),
    default: u.hasDefault ? JSON.stringify(u.defaultValue) : undefined,
    optional: u.optional,
    description: u.description,
    removed: u.removed,
    section: false,
  };
  out.push(info);
  if (d.type === 'object') {
    info.section = true;
    walkObject(u.core, path, out);
  } else if (d.type === 'array' && d.element) {
    visitElement(d.element, `${path}[]`, out, info);
  } else if (singleObjectOption(u.core)) {
    // `"auto"` or `{cert, key}`: the one object option's keys are documented under this key.
    info.section = true;
    walkObject(singleObjectOption(u.core)!, path, out);
  } else if (d.type === 'record' && d.valueType) {
    const v = unwrap(d.valueType);
    if (defOf(v.core).type === 'object') {
      info.section = true;
      walkObject(v.core, `${path}.*`, out);
    }
  }
}

function visitElement(element: ZodType, path: string, out: KeyInfo[], parent: KeyInfo): void {
  const e = unwrap(element);
  const d = defOf(e.core);
  if (d.type === 'object') {
    parent.section = true;
    walkObject(e.core, path, out);
  } else if (d.type === 'union' && d.discriminator && d.options) {
    parent.section = true;
    for (const option of d.options) {
      const tag = discriminatorValues(option, d.discriminator).map(String).join('|');
      walkObject(option, `${path.slice(0, -2)}[${tag}]`, out);
    }
  }
}

/** A short human type: `integer 1-65535`, `string (max 255)`, `"pdu"`, `list of string`. */
export function typeName(core: ZodType): string {
  const d = defOf(core);
  const s = core as unknown as Record<string, unknown>;
  switch (d.type) {
    case 'string': {
      const fmt = typeof s.format === 'string' && s.format !== 'regex' ? ` (${s.format})` : '';
      const regex = d.checks?.map((c) => c._zod.def).find((c) => c.check === 'string_format' && c.pattern instanceof RegExp)?.pattern as
        RegExp | undefined;
      const min = typeof s.minLength === 'number' && s.minLength > 0 ? s.minLength : null;
      const max = typeof s.maxLength === 'number' ? s.maxLength : null;
      const len =
        min !== null && max !== null ? ` (${min}-${max} chars)` : max !== null ? ` (max ${max} chars)` : min !== null ? ` (min ${min} chars)` : '';
      return `string${fmt}${regex ? ` matching \`${regex.source}\`` : len}`;
    }
    case 'number': {
      const int = s.isInt === true ? 'integer' : 'number';
      const min = finite(s.minValue);
      const max = finite(s.maxValue);
      return min !== null && max !== null
        ? `${int} ${fmtNum(min)}-${fmtNum(max)}`
        : min !== null
          ? `${int} >= ${fmtNum(min)}`
          : max !== null
            ? `${int} <= ${fmtNum(max)}`
            : int;
    }
    case 'boolean':
      return 'boolean';
    case 'enum':
      return Object.values(d.entries ?? {})
        .map((v) => JSON.stringify(v))
        .join(' | ');
    case 'literal':
      return (d.values ?? []).map((v) => JSON.stringify(v)).join(' | ');
    case 'union':
      return (d.discriminator ? ['object'] : (d.options ?? []).map((o) => typeName(unwrap(o).core))).join(' | ');
    case 'array':
      return d.element ? `list of ${typeName(unwrap(d.element).core)}` : 'list';
    case 'record':
      return d.valueType ? `map of name to ${typeName(unwrap(d.valueType).core)}` : 'map';
    case 'object':
      return 'object';
    case 'never':
      return '(removed)';
    default:
      return d.type;
  }
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : null);
const fmtNum = (n: number): string => (Number.isInteger(n) && Math.abs(n) >= 10_000 ? n.toLocaleString('en-US').replace(/,/g, '_') : String(n));

/**
 * The schema at a documented path (the syntax of KeyInfo.path): for attaching descriptions kept
 * outside schema.ts. `[*]` means every option of a list's union, `*` every value of a map.
 * Returns every match (shared keys of union options), or throws naming the missing segment.
 */
export function schemasAt(root: ZodType, path: string): ZodType[] {
  let current: ZodType[] = [root];
  for (const segment of path.split('.')) {
    const m = /^([^[\]]*)(?:\[([^\]]*)\])?$/.exec(segment);
    if (!m) throw new Error(`config path ${path}: bad segment "${segment}"`);
    const [, key, bracket] = m;
    const next: ZodType[] = [];
    for (const s of current) {
      const core = unwrap(s).core;
      if (key === '*') {
        const d = defOf(core);
        if (d.type === 'record' && d.valueType) next.push(d.valueType);
        continue;
      }
      const obj = objectShape(core) ?? objectShape(singleObjectOption(core) ?? core);
      if (obj && Object.hasOwn(obj.shape, key!)) next.push(obj.shape[key!]!);
    }
    if (next.length === 0) throw new Error(`config path ${path}: no key "${key}"`);
    current = next;
    if (bracket === undefined) continue;
    const elements: ZodType[] = [];
    for (const s of current) {
      const d = defOf(unwrap(s).core);
      if (d.type !== 'array' || !d.element) continue;
      const e = unwrap(d.element).core;
      const ed = defOf(e);
      if (ed.type === 'union' && ed.discriminator && ed.options) {
        for (const o of ed.options) {
          if (bracket === '*' || discriminatorValues(o, ed.discriminator).map(String).join('|') === bracket) elements.push(o);
        }
      } else if (bracket === '' || bracket === '*') {
        elements.push(e);
      }
    }
    if (elements.length === 0) throw new Error(`config path ${path}: "${segment}" is not a list of that kind`);
    current = elements;
  }
  return current;
}

/**
 * Attaches descriptions kept outside schema.ts (zod's global registry, as `.describe()` does).
 * Returns the table's problems (a path that does not exist, a key also described inline, where
 * the inline text wins) instead of throwing: a stale doc table must not stop the daemon;
 * test/config/reference.test.ts fails on them.
 */
export function describeKeys(root: ZodType, table: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const [path, description] of Object.entries(table)) {
    let targets: ZodType[];
    try {
      targets = schemasAt(root, path);
    } catch (err) {
      problems.push((err as Error).message);
      continue;
    }
    for (const s of targets) {
      if (unwrap(s).description !== undefined && globalRegistry.get(s)?.description !== description) {
        problems.push(`config path ${path} is described twice (inline in schema.ts and in descriptions.ts): delete its line in descriptions.ts`);
        continue;
      }
      globalRegistry.add(s, { ...(globalRegistry.get(s) ?? {}), description });
    }
  }
  return problems;
}
