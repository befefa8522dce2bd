import { Hono } from 'hono';
import { parameterError } from '../../token/errors.js';
import type { DirectoryUser } from '../../directory/types.js';
import type { AppDeps, AppEnv } from '../context.js';
import { ok } from '../envelope.js';
import { flag, opt, readParams, req } from '../params.js';

/** Mapped attributes as a list of {field, attribute, value}: field names are config data. */
export function attributesView(u: DirectoryUser, userInfo?: Map<string, string>) {
  return [...u.info].map(([field, value]) => ({ field, attribute: userInfo?.get(field) ?? field, value }));
}

/**
 * Own additions for directories (admin): health, `directory test` (bind, search, one user's
 * mapped attributes) and `directory sync` (one auto-enrolment pass, optionally dry).
 */
export function directoryRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>({ strict: false });

  app.get('/', (c) =>
    ok(c, {
      defaultRealm: deps.directory.defaultRealm,
      resolvers: deps.directory.health(),
      realms: deps.directory.configuredRealms().map((r) => ({
        name: r.name,
        resolvers: r.resolvers,
        otppin: r.otppin,
        autoEnroll: r.autoEnroll ?? null,
        lastSync: deps.autoEnroll.last.get(r.name) ?? null,
      })),
    }),
  );

  app.get('/test', async (c) => {
    const p = await readParams(c);
    const realm = deps.directory.realm(req(p, 'realm'));
    const login = opt(p, 'user');
    const resolvers: Array<Record<string, unknown>> = [];
    for (const name of realm.resolvers) {
      const r = deps.directory.ldapResolvers().find((x) => x.name === name);
      if (!r) {
        resolvers.push({ resolver: name, type: 'local', ok: true, detail: 'the local user table' });
        continue;
      }
      const start = performance.now();
      try {
        const { uri } = await r.probe();
        resolvers.push({
          resolver: name,
          type: 'ldap',
          ok: true,
          uri,
          base: r.o.base,
          bindDn: r.o.bindDn || '(anonymous)',
          ms: Math.round(performance.now() - start),
        });
      } catch (err) {
        resolvers.push({ resolver: name, type: 'ldap', ok: false, error: (err as Error).message, uris: r.o.uris });
      }
    }
    let user: Record<string, unknown> | null = null;
    if (login) {
      for (const r of deps.directory.ldapResolvers()) r.clearCache();
      const found = await deps.directory.find(login, realm.name);
      const filters = deps.directory
        .ldapResolvers()
        .filter((r) => realm.resolvers.includes(r.name))
        .map((r) => ({ resolver: r.name, filter: r.describeLoginFilter(login) }));
      const ldap = found ? deps.directory.ldapResolvers().find((r) => r.name === found.resolver) : undefined;
      user = found
        ? {
            found: true,
            resolver: found.resolver,
            uid: found.uid,
            login: found.login,
            mobile: found.mobile,
            disabled: found.disabled,
            attributes: attributesView(found, ldap?.o.userInfo),
            filters,
          }
        : { found: false, filters };
    }
    return ok(c, { realm: realm.name, otppin: realm.otppin, resolvers, user });
  });

  app.post('/sync', async (c) => {
    const p = await readParams(c);
    const realm = req(p, 'realm');
    const dryRun = flag(p, 'dry_run') || flag(p, 'dryrun');
    if (!deps.directory.realm(realm).autoEnroll) throw parameterError(`ERR905: Realm "${realm}" has no autoEnroll.`);
    const report = await deps.autoEnroll.sync(realm, { dryRun });
    deps.audit.write({
      action: 'POST /directory/sync',
      administrator: c.get('identity').username,
      client: c.get('client'),
      realm: report.realm,
      result: true,
      reason: `${dryRun ? 'dry run: ' : ''}${report.actions.filter((a) => a.action !== 'skip').length} changes`,
    });
    return ok(c, report);
  });

  return app;
}
