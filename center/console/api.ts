/**
 * The console's JSON API (docs/screens.md "API"): one table of routes,
 * each with its method, the role it needs (none: before login) and, for a
 * write, its body limit. server.ts applies the checks in the table's terms
 * before a handler runs, so a handler only does its job.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { addApplicationsAction, parseReason, revokeKiosk, voidJobAction } from './actions.js';
import type { AuditView } from './audit-view.js';
import type { ConsoleDeps } from './deps.js';
import { ConsoleError } from './errors.js';
import { endFeeds, type Feed } from './feed.js';
import { fleetView } from './fleet.js';
import { parseJson } from './http.js';
import { jobsView } from './jobs-view.js';
import type { Accounts } from './operators.js';
import type { Role } from './roles.js';
import type { ConsoleSession, Sessions } from './sessions.js';
import { statsView } from './stats.js';

export const BODY_LIMIT = { small: 1024, login: 4096, applications: 256 * 1024 } as const;

export interface ApiContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Path parameters (the pattern's groups). */
  params: string[];
  /** The session (routes with a role). */
  session: ConsoleSession;
  /** The cookie token (routes with a role). */
  token: string;
  /** The body's bytes (writes; already bounded; overwritten by the server once the handler is done). */
  body: Buffer;
}

/** A JSON answer (200 unless said), with extra headers (Set-Cookie). Undefined: the handler answered itself (the feed). */
export type ApiAnswer = { status?: number; body: unknown; headers?: Record<string, string> } | undefined;

export interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  /** Undefined: no session needed (login). */
  role?: Role;
  /** POST only: bytes allowed. */
  bodyLimit?: number;
  handle(ctx: ApiContext): Promise<ApiAnswer>;
}

export interface ApiParts {
  deps: ConsoleDeps;
  accounts: Accounts;
  sessions: Sessions;
  auditView: AuditView;
  feed: Feed;
  /** Builds the Set-Cookie value for a new session token ('' clears it). */
  cookieFor(token: string): string;
  /** Logins being checked at once (scrypt is expensive: a flood is refused, 503 busy). */
  maxLogins: number;
}

const loginBody = z.strictObject({ username: z.string().max(64), password: z.string().max(1024) });

export function apiRoutes(p: ApiParts): Route[] {
  let logins = 0;
  const json = (body: unknown): ApiAnswer => ({ body });
  return [
    {
      method: 'POST',
      pattern: /^\/api\/login$/,
      bodyLimit: BODY_LIMIT.login,
      async handle(ctx) {
        const r = loginBody.safeParse(parseJson(ctx.body));
        if (!r.success) throw new ConsoleError('bad-request', 'body: { "username": "…", "password": "…" }');
        if (logins >= p.maxLogins) throw new ConsoleError('busy', 'too many logins at once: try again');
        logins += 1;
        try {
          const who = await p.accounts.login(r.data.username, r.data.password);
          const s = await p.sessions.create(who.username);
          return { body: { username: who.username, role: who.role, csrf: s.csrf }, headers: { 'Set-Cookie': p.cookieFor(s.token) } };
        } finally {
          logins -= 1;
        }
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/logout$/,
      role: 'viewer',
      bodyLimit: BODY_LIMIT.small,
      async handle(ctx) {
        await p.sessions.end(ctx.token);
        // This process's feeds of the session end now; another worker's at their next check.
        endFeeds({ token: ctx.token });
        return { body: { ok: true }, headers: { 'Set-Cookie': p.cookieFor('') } };
      },
    },
    { method: 'GET', pattern: /^\/api\/session$/, role: 'viewer', handle: (ctx) => Promise.resolve(json({ ...ctx.session })) },
    { method: 'GET', pattern: /^\/api\/fleet$/, role: 'viewer', handle: async () => json(await fleetView(p.deps.db)) },
    { method: 'GET', pattern: /^\/api\/jobs$/, role: 'viewer', handle: async (ctx) => json(await jobsView(p.deps.db, ctx.url.searchParams)) },
    { method: 'GET', pattern: /^\/api\/audit$/, role: 'viewer', handle: async (ctx) => json(await p.auditView.view(ctx.url.searchParams)) },
    { method: 'GET', pattern: /^\/api\/stats$/, role: 'viewer', handle: async (ctx) => json(await statsView(p.deps.db, p.deps.clock, ctx.url.searchParams)) },
    {
      method: 'GET',
      pattern: /^\/api\/feed$/,
      role: 'viewer',
      async handle(ctx) {
        const last = ctx.req.headers['last-event-id'];
        const owner = { token: ctx.token, username: ctx.session.username };
        await p.feed.serve(ctx.res, typeof last === 'string' ? last : undefined, owner, async () => (await p.sessions.check(ctx.token, { touch: false })) !== undefined);
        return undefined;
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/kiosks\/([^/]{1,64})\/revoke$/,
      role: 'admin',
      bodyLimit: BODY_LIMIT.small,
      handle: async (ctx) => json(await revokeKiosk(p.deps, ctx.session.username, ctx.params[0]!, parseReason(parseJson(ctx.body)))),
    },
    {
      method: 'POST',
      pattern: /^\/api\/jobs\/([^/]{1,64})\/void$/,
      role: 'operator',
      bodyLimit: BODY_LIMIT.small,
      handle: async (ctx) => json(await voidJobAction(p.deps, ctx.session.username, ctx.params[0]!, parseReason(parseJson(ctx.body)))),
    },
    {
      method: 'POST',
      pattern: /^\/api\/applications$/,
      role: 'operator',
      bodyLimit: BODY_LIMIT.applications,
      handle: async (ctx) => json(await addApplicationsAction(p.deps, ctx.session.username, ctx.body.toString('utf8'))),
    },
  ];
}
