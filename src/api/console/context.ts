import type { Context } from 'hono';
import type { HtmlEscapedString } from 'hono/utils/html';
import { parameterError, PiError } from '../../token/errors.js';
import type { AppDeps, AppEnv } from '../context.js';
import type { Session } from './session.js';

export type ConsoleEnv = {
  Bindings: AppEnv['Bindings'];
  Variables: AppEnv['Variables'] & { session: Session };
};
export type Ctx = Context<ConsoleEnv>;

/** Request-independent parts every page needs. */
export interface ConsoleParts {
  deps: AppDeps;
}

type Node = HtmlEscapedString | Promise<HtmlEscapedString> | string;

export async function render(c: Context, node: Node, status = 200): Promise<Response> {
  const html = await node;
  return c.html(`<!doctype html>${html}`, status as 200);
}

/** Post/redirect/get: the message shows once on the page redirected to. */
export function done(c: Ctx, to: string, text: string, kind: 'ok' | 'bad' = 'ok'): Response {
  c.get('session').flash = { kind, text };
  return c.redirect(to, 303);
}

export function takeFlash(c: Ctx): Session['flash'] {
  const s = c.get('session');
  const f = s.flash;
  s.flash = null;
  return f;
}

/** A domain error as a sentence for the admin (privacyIDEA's ERRnnn prefix is for API clients). */
export function errorText(err: unknown): string {
  if (err instanceof PiError) return err.message.replace(/^ERR-?\d+:\s*/, '');
  if (err instanceof Error && err.name === 'ZodError') return 'invalid input';
  return err instanceof Error ? err.message : String(err);
}

/** Form fields as strings (files are read separately), each bounded. */
export type Fields = {
  str(name: string, max?: number): string;
  opt(name: string, max?: number): string | undefined;
  file(name: string): File | undefined;
};

export async function fields(c: Ctx): Promise<Fields> {
  const body = (await c.req.parseBody({ all: false })) as Record<string, string | File>;
  const raw = (name: string, max: number) => {
    const v = body[name];
    if (typeof v !== 'string') return undefined;
    if (v.length > max) throw parameterError(`ERR905: ${name} is too long (at most ${max} characters).`);
    return v;
  };
  return {
    str: (name, max = 256) => (raw(name, max) ?? '').trim(),
    opt: (name, max = 256) => {
      const v = raw(name, max)?.trim();
      return v ? v : undefined;
    },
    file: (name) => {
      const v = body[name];
      return typeof v === 'object' && v !== null ? (v as File) : undefined;
    },
  };
}

export function auditConsole(c: Ctx, deps: AppDeps, action: string, result: boolean, extra: Record<string, unknown> = {}): void {
  deps.audit.write({ action: `console: ${action}`, administrator: c.get('session').admin, client: c.get('client'), result, ...extra });
}

export const qs = (params: Record<string, string | undefined>) => {
  const s = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1])).toString();
  return s ? `?${s}` : '';
};
