import type { IdentityContext } from './context.js'
import type { Exchange } from './exchange.js'
import { createBrowserLogout, performApiLogout, performBrowserLogout } from './handlers/logout.js'
import { getFlow, initFlow, submitFlow } from './handlers/self-service.js'
import { revokeSession, whoami } from './handlers/sessions.js'
import { errorPageHandler, errorReportHandler, flowPageHandler, welcomeHandler } from './handlers/ui.js'
import { IDENTITY_SCHEMA, SCHEMA_PATH_ID } from './schema.js'

export type Handler = (ctx: IdentityContext, ex: Exchange) => void | Promise<void>
type Methods = Readonly<Partial<Record<'GET' | 'POST' | 'DELETE', Handler>>>

const health: Handler = (_ctx, ex) => ex.json(200, { status: 'ok' })

/** Kratos' public API paths this server implements, plus the UI pages and one admin endpoint. */
const EXACT = new Map<string, Methods>([
  ['/self-service/login/browser', { GET: initFlow('login', 'browser') }],
  ['/self-service/login/api', { GET: initFlow('login', 'api') }],
  ['/self-service/login/flows', { GET: getFlow('login') }],
  ['/self-service/login', { POST: submitFlow('login') }],
  ['/self-service/registration/browser', { GET: initFlow('registration', 'browser') }],
  ['/self-service/registration/api', { GET: initFlow('registration', 'api') }],
  ['/self-service/registration/flows', { GET: getFlow('registration') }],
  ['/self-service/registration', { POST: submitFlow('registration') }],
  ['/self-service/logout/browser', { GET: createBrowserLogout }],
  ['/self-service/logout', { GET: performBrowserLogout }],
  ['/self-service/logout/api', { DELETE: performApiLogout }],
  ['/self-service/errors', { GET: errorReportHandler }],
  ['/sessions/whoami', { GET: whoami }],
  [`/schemas/${SCHEMA_PATH_ID}`, { GET: (_ctx, ex) => ex.json(200, IDENTITY_SCHEMA) }],
  ['/health/alive', { GET: health }],
  ['/health/ready', { GET: health }],
  ['/ui/login', { GET: flowPageHandler('login') }],
  ['/ui/registration', { GET: flowPageHandler('registration') }],
  ['/ui/welcome', { GET: welcomeHandler }],
  ['/ui/error', { GET: errorPageHandler }],
])

const ADMIN_SESSIONS: Methods = { DELETE: revokeSession }

/**
 * The handlers for a path, by method; undefined when nothing lives there. HEAD is answered as GET
 * (Node drops the body).
 */
export function routeFor(path: string): Methods | undefined {
  return EXACT.get(path) ?? (path.startsWith('/admin/sessions/') ? ADMIN_SESSIONS : undefined)
}

export function handlerFor(methods: Methods, method: string): Handler | undefined {
  return methods[(method === 'HEAD' ? 'GET' : method) as keyof Methods]
}

export function allowedMethods(methods: Methods): string {
  return Object.keys(methods).join(', ')
}
