import type { IdentityContext } from './context.js'
import type { Exchange } from './exchange.js'
import { adminAuthorized, adminUnauthorized, getCourierMessage, listCourierMessages, outboxPageHandler } from './handlers/admin.js'
import {
  createIdentityHandler,
  deleteIdentity,
  deleteIdentitySessions,
  getIdentity,
  listIdentities,
  listIdentitySessions,
  patchIdentity,
  updateIdentity,
} from './handlers/admin-identities.js'
import { extendSession, getSession, listSessions, revokeSession } from './handlers/admin-sessions.js'
import { createBrowserLogout, performApiLogout, performBrowserLogout } from './handlers/logout.js'
import { getSchema, listSchemas } from './handlers/schemas.js'
import { getFlow, initFlow, submitFlow } from './handlers/self-service.js'
import { whoami } from './handlers/sessions.js'
import { errorPageHandler, errorReportHandler, flowPageHandler, welcomeHandler } from './handlers/ui.js'
import type { FlowKind } from './texts.js'

export type Handler = (ctx: IdentityContext, ex: Exchange) => void | Promise<void>
export type Methods = Readonly<Partial<Record<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', Handler>>>

const health: Handler = (_ctx, ex) => ex.json(200, { status: 'ok' })

/** Kratos' self-service paths for one flow kind, and its page. */
function selfService(kind: FlowKind): Array<[string, Methods]> {
  return [
    [`/self-service/${kind}/browser`, { GET: initFlow(kind, 'browser') }],
    [`/self-service/${kind}/api`, { GET: initFlow(kind, 'api') }],
    [`/self-service/${kind}/flows`, { GET: getFlow(kind) }],
    [`/self-service/${kind}`, { POST: submitFlow(kind) }],
    [`/ui/${kind}`, { GET: flowPageHandler(kind) }],
  ]
}

/** Kratos' public API paths this server implements, plus the UI pages. No `/admin` path is here. */
const PUBLIC = new Map<string, Methods>([
  ...selfService('login'),
  ...selfService('registration'),
  ...selfService('settings'),
  ...selfService('recovery'),
  ...selfService('verification'),
  ['/self-service/logout/browser', { GET: createBrowserLogout }],
  ['/self-service/logout', { GET: performBrowserLogout }],
  ['/self-service/logout/api', { DELETE: performApiLogout }],
  ['/self-service/errors', { GET: errorReportHandler }],
  ['/sessions/whoami', { GET: whoami }],
  ['/schemas', { GET: listSchemas }],
  ['/health/alive', { GET: health }],
  ['/health/ready', { GET: health }],
  ['/ui/welcome', { GET: welcomeHandler }],
  ['/ui/error', { GET: errorPageHandler }],
])
const SCHEMA: Methods = { GET: getSchema }

/** The admin listener: Kratos' admin paths (behind the admin token) and the outbox page. */
const ADMIN = new Map<string, Methods>([
  ['/admin/identities', { GET: listIdentities, POST: createIdentityHandler }],
  ['/admin/sessions', { GET: listSessions }],
  ['/admin/courier/messages', { GET: listCourierMessages }],
  ['/courier', { GET: outboxPageHandler }],
])
/** Paths with an id in them (`{id}`: one segment), by pattern. */
const ADMIN_ITEMS: ReadonlyArray<readonly [RegExp, Methods]> = [
  [/^\/admin\/identities\/[^/]+$/, { GET: getIdentity, PUT: updateIdentity, PATCH: patchIdentity, DELETE: deleteIdentity }],
  [/^\/admin\/identities\/[^/]+\/sessions$/, { GET: listIdentitySessions, DELETE: deleteIdentitySessions }],
  [/^\/admin\/sessions\/[^/]+$/, { GET: getSession, DELETE: revokeSession }],
  [/^\/admin\/sessions\/[^/]+\/extend$/, { PATCH: extendSession }],
  [/^\/admin\/courier\/messages\/[^/]+$/, { GET: getCourierMessage }],
]
const ADMIN_HEALTH = new Map<string, Methods>([
  ['/health/alive', { GET: health }],
  ['/health/ready', { GET: health }],
])

/** The handlers for a public path, by method; undefined when nothing lives there. */
export function publicRoute(path: string): Methods | undefined {
  return PUBLIC.get(path) ?? (path.startsWith('/schemas/') ? SCHEMA : undefined)
}

/** The handlers for an admin listener path; everything but health needs the admin token. */
export function adminRoute(path: string): Methods | undefined {
  return ADMIN_HEALTH.get(path) ?? ADMIN.get(path) ?? ADMIN_ITEMS.find(([pattern]) => pattern.test(path))?.[1]
}

/** Wraps the admin routes' handlers in the token check (health stays open, for readiness probes). */
export function guarded(path: string, handler: Handler): Handler {
  if (ADMIN_HEALTH.has(path)) return handler
  return (ctx, ex) => (adminAuthorized(ctx, ex) ? handler(ctx, ex) : adminUnauthorized(ex))
}

/** HEAD is answered as GET (Node drops the body). */
export function handlerFor(methods: Methods, method: string): Handler | undefined {
  return methods[(method === 'HEAD' ? 'GET' : method) as keyof Methods]
}

export function allowedMethods(methods: Methods): string {
  return Object.keys(methods).join(', ')
}
