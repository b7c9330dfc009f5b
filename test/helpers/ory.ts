import http from 'node:http'
import type { TestContext } from 'node:test'
import { groupHeaders, serveOnLoopback } from './upstream.js'

/**
 * How the fake Ory answers `/sessions/whoami`: `ok` answers from its sessions; the others are the
 * faults of checklist c7.
 */
export type WhoamiMode =
  | 'ok'
  | 'hang'
  | 'delay'
  | 'status-500'
  | 'status-429'
  | 'garbage'
  | 'empty-object'
  | 'array'
  | 'huge'
  | 'inactive'
  | 'empty-id'

export interface FakeSession {
  readonly id: string
  readonly identityId: string
  /** A cookie `name=value`, or undefined for a token session. */
  readonly cookie: string | undefined
  readonly token: string | undefined
  expiresAt: number
  traits: Record<string, unknown>
  revoked: boolean
}

export interface WhoamiCall {
  readonly headers: Readonly<Record<string, readonly string[]>>
}

export interface FakeOry {
  readonly url: string
  readonly port: number
  /** Every whoami request in arrival order (so `.length` is the call count). */
  readonly whoamiCalls: WhoamiCall[]
  /** Every request of any kind (path, method, headers), for "nothing reached Ory" checks. */
  readonly requests: OryRequest[]
  /** A browser session behind cookie `name=value`. */
  addCookieSession(name: string, value: string, identityId: string, options?: SessionOptions): FakeSession
  /** An API session behind a session token (X-Session-Token or Authorization: Bearer). */
  addTokenSession(token: string, identityId: string, options?: SessionOptions): FakeSession
  /** Switches how whoami answers; `delayMs` is used by `delay`. */
  setMode(mode: WhoamiMode, delayMs?: number): void
  close(): Promise<void>
}

export interface OryRequest {
  readonly method: string
  readonly url: string
  /** Lower-cased header name → values. */
  readonly headers: Readonly<Record<string, readonly string[]>>
}

export interface SessionOptions {
  readonly expiresInMs?: number
  readonly traits?: Record<string, unknown>
}

/**
 * An Ory-like server on 127.0.0.1:0: `/sessions/whoami` answers from cookie→identity and
 * token→identity maps, the two Kratos logout endpoints revoke sessions, and switchable modes
 * produce every fault the session layer must survive. Closed after the test.
 */
export async function startFakeOry(t: TestContext): Promise<FakeOry> {
  let mode: WhoamiMode = 'ok'
  let delay = 0
  let sessionCount = 0
  const sessions: FakeSession[] = []
  const whoamiCalls: WhoamiCall[] = []
  const requests: OryRequest[] = []

  const add = (identityId: string, cookie: string | undefined, token: string | undefined, options: SessionOptions = {}) => {
    const session: FakeSession = {
      id: `session-${++sessionCount}`,
      identityId,
      cookie,
      token,
      expiresAt: Date.now() + (options.expiresInMs ?? 3_600_000),
      traits: options.traits ?? { email: `${identityId}@example.org` },
      revoked: false,
    }
    sessions.push(session)
    return session
  }

  /** Kratos' precedence (session/manager_http.go extractToken): X-Session-Token, then the cookie, then Bearer. */
  const find = (headers: Record<string, string[]>): FakeSession | undefined => {
    const headerToken = headers['x-session-token']?.[0]
    if (headerToken !== undefined) return sessions.find((s) => s.token === headerToken)
    const cookies = (headers.cookie ?? []).join('; ').split(';').map((pair) => pair.trim())
    const byCookie = sessions.find((s) => s.cookie !== undefined && cookies.includes(s.cookie))
    if (byCookie !== undefined) return byCookie
    const bearer = /^Bearer (.+)$/i.exec(headers.authorization?.[0] ?? '')?.[1]
    return bearer === undefined ? undefined : sessions.find((s) => s.token === bearer)
  }

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  const whoami = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const headers = groupHeaders(req.rawHeaders)
    whoamiCalls.push({ headers })
    const session = find(headers)
    const unauthorized = { error: { code: 401, status: 'Unauthorized', message: 'No valid session credentials found' } }
    switch (mode) {
      case 'hang':
        return
      case 'status-500':
        return json(res, 500, { error: { code: 500 } })
      case 'status-429':
        return json(res, 429, { error: { code: 429 } })
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end('{"active": tru')
      case 'empty-object':
        return json(res, 200, {})
      case 'array':
        return json(res, 200, [])
      case 'huge':
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end(`{"active":true,"pad":"${'x'.repeat(5 * 1024 * 1024)}"}`)
      case 'inactive':
        return json(res, 200, { id: 'x', active: false, identity: { id: 'someone' } })
      case 'empty-id':
        return json(res, 200, { id: 'x', active: true, identity: { id: '' } })
      default:
    }
    const answer = () => {
      if (session === undefined || session.revoked || session.expiresAt <= Date.now()) return json(res, 401, unauthorized)
      json(res, 200, {
        id: session.id,
        active: true,
        expires_at: new Date(session.expiresAt).toISOString(),
        authenticated_at: new Date().toISOString(),
        authenticator_assurance_level: 'aal1',
        identity: { id: session.identityId, schema_id: 'default', state: 'active', traits: session.traits },
      })
    }
    // Unref'd: a 10 s answer must not keep the test process alive after the test.
    if (mode === 'delay') setTimeout(answer, delay).unref()
    else answer()
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url!, 'http://ory.test')
      requests.push({ method: req.method!, url: req.url!, headers: groupHeaders(req.rawHeaders) })
      if (url.pathname === '/sessions/whoami') return whoami(req, res)
      if (url.pathname === '/self-service/logout' && req.method === 'GET') {
        const session = sessions.find((s) => `logout-${s.id}` === url.searchParams.get('token'))
        if (session === undefined) return json(res, 401, { error: { code: 401 } })
        session.revoked = true
        const name = session.cookie!.split('=')[0]
        res.writeHead(303, { location: '/', 'set-cookie': `${name}=; Path=/; Max-Age=0` })
        return res.end()
      }
      if (url.pathname === '/self-service/logout/api' && req.method === 'DELETE') {
        const token = (JSON.parse(Buffer.concat(chunks).toString() || '{}') as { session_token?: string }).session_token
        const session = sessions.find((s) => s.token !== undefined && s.token === token)
        if (session === undefined) return json(res, 401, { error: { code: 401 } })
        session.revoked = true
        res.writeHead(204)
        return res.end()
      }
      json(res, 404, { error: { code: 404 } })
    })
  })
  const { url, port, close } = await serveOnLoopback(t, server)
  return {
    url,
    port,
    whoamiCalls,
    requests,
    addCookieSession: (name, value, identityId, options) => add(identityId, `${name}=${value}`, undefined, options),
    addTokenSession: (token, identityId, options) => add(identityId, undefined, token, options),
    setMode: (next, delayMs = 0) => {
      mode = next
      delay = delayMs
    },
    close,
  }
}
