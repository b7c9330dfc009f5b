import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseCookies } from './cookies.js'
import { errors, type KratosErrorBody } from './kratos-errors.js'

/** Self-service forms are a few hundred bytes; anything near this is not a form. */
export const MAX_BODY_BYTES = 64 * 1024

/** A submitted form, urlencoded or JSON, read by field name (`traits.email` finds `{"traits":{"email":…}}` too). */
export interface SubmittedForm {
  get(name: string): string | undefined
  /** The whole body when it was JSON (typed values: traits may be booleans and numbers). */
  readonly json: Readonly<Record<string, unknown>> | undefined
}

export type BodyResult = { readonly form: SubmittedForm } | { readonly error: KratosErrorBody }

/** Headers on every answer: flows and sessions must never be cached or sniffed. */
const COMMON_HEADERS = {
  'cache-control': 'private, no-cache, no-store, must-revalidate',
  'x-content-type-options': 'nosniff',
} as const

/** Pages carry no script and only inline styles, and may not be framed (clickjacking). */
const PAGE_HEADERS = {
  ...COMMON_HEADERS,
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
} as const

/**
 * One request and its response, with what handlers need: the parsed target, cookies, content
 * negotiation and writers for JSON, pages, redirects and errors.
 */
export class Exchange {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /** The request target resolved against this server's origin. */
  readonly url: URL
  /** The clock reading for this request (ms). */
  readonly now: number
  readonly #cookies: string[] = []
  #parsedCookies: Map<string, string> | undefined

  constructor(req: IncomingMessage, res: ServerResponse, url: URL, now: number) {
    this.req = req
    this.res = res
    this.url = url
    this.now = now
  }

  query(name: string): string | null {
    return this.url.searchParams.get(name)
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name]
    return Array.isArray(value) ? value[0] : value
  }

  cookie(name: string): string | undefined {
    this.#parsedCookies ??= parseCookies(this.header('cookie'))
    return this.#parsedCookies.get(name)
  }

  /**
   * Kratos' `IsJSONRequest`: a JSON body, or an Accept header that prefers `application/json` to
   * `text/html`. Browsers' form posts and navigations get redirects instead.
   */
  get wantsJson(): boolean {
    const type = this.header('content-type')
    if (type !== undefined && /^application\/json\s*(?:;|$)/i.test(type)) return true
    const accept = this.header('accept')
    if (accept === undefined) return false
    const json = preference(accept, 'application', 'json')
    const html = preference(accept, 'text', 'html')
    // Higher q wins; on a tie the more specific range does, so Axios' `application/json, text/plain,
    // */*` is a JSON client (Kratos negotiates the same way).
    return json.q > html.q || (json.q === html.q && json.specificity > html.specificity)
  }

  /** The client address: the proxy's `X-Forwarded-For`, else the socket peer. */
  get clientAddress(): string {
    const forwarded = this.header('x-forwarded-for')?.split(',')[0]?.trim()
    return forwarded || this.req.socket.remoteAddress || ''
  }

  /** Queues a Set-Cookie value for the response. */
  setCookie(value: string): void {
    this.#cookies.push(value)
  }

  json(status: number, body: unknown): void {
    this.#send(status, 'application/json; charset=utf-8', JSON.stringify(body), COMMON_HEADERS)
  }

  /** An Ory-shaped error, tagged with the request id the proxy sent, as Kratos does. */
  error(body: KratosErrorBody): void {
    const request = this.header('x-request-id')
    this.json(body.error.code, request === undefined ? body : { ...body, error: { ...body.error, request } })
  }

  page(status: number, html: string): void {
    this.#send(status, 'text/html; charset=utf-8', html, PAGE_HEADERS)
  }

  /** 303 See Other, Kratos' browser redirect: the next request is always a GET. */
  redirect(location: string): void {
    this.res.writeHead(303, { ...COMMON_HEADERS, location, 'content-length': '0', 'set-cookie': this.#cookies })
    this.res.end()
  }

  empty(status: number): void {
    this.res.writeHead(status, { ...COMMON_HEADERS, 'set-cookie': this.#cookies })
    this.res.end()
  }

  /** Reads a urlencoded or JSON body of at most {@link MAX_BODY_BYTES}. */
  async readForm(): Promise<BodyResult> {
    const type = (this.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    if (type !== 'application/json' && type !== 'application/x-www-form-urlencoded') {
      return { error: errors.badRequest('Send the form as application/x-www-form-urlencoded or application/json.') }
    }
    const text = await this.#readText()
    if (typeof text !== 'string') return text
    if (type === 'application/x-www-form-urlencoded') {
      const params = new URLSearchParams(text)
      return { form: { get: (name) => params.get(name) ?? undefined, json: undefined } }
    }
    const body = parseJson(text)
    if ('error' in body) return body
    if (typeof body.json !== 'object' || body.json === null || Array.isArray(body.json)) {
      return { error: errors.badRequest('The request body must be a JSON object.') }
    }
    const json = body.json as Record<string, unknown>
    return { form: { get: (name) => lookup(json, name), json } }
  }

  /** Reads a JSON body (any JSON value: the admin API's patches are arrays) of at most {@link MAX_BODY_BYTES}. */
  async readJson(): Promise<{ readonly json: unknown } | { readonly error: KratosErrorBody }> {
    const type = (this.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    if (type !== 'application/json' && type !== 'application/json-patch+json') return { error: errors.badRequest('Send the body as application/json.') }
    const text = await this.#readText()
    return typeof text === 'string' ? parseJson(text) : text
  }

  async #readText(): Promise<string | { readonly error: KratosErrorBody }> {
    const declared = Number(this.header('content-length') ?? 0)
    if (declared > MAX_BODY_BYTES) return this.#tooLarge()
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of this.req as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > MAX_BODY_BYTES) return this.#tooLarge()
      chunks.push(chunk)
    }
    return Buffer.concat(chunks).toString('utf8')
  }

  #tooLarge(): { readonly error: KratosErrorBody } {
    // The rest of the body is not read; closing keeps the connection from desynchronising.
    this.res.shouldKeepAlive = false
    return { error: errors.bodyTooLarge(MAX_BODY_BYTES) }
  }

  #send(status: number, type: string, body: string, headers: Readonly<Record<string, string>>): void {
    this.res.writeHead(status, {
      ...headers,
      'content-type': type,
      'content-length': String(Buffer.byteLength(body)),
      'set-cookie': this.#cookies,
    })
    this.res.end(body)
  }
}

function parseJson(text: string): { readonly json: unknown } | { readonly error: KratosErrorBody } {
  try {
    return { json: JSON.parse(text) as unknown }
  } catch {
    return { error: errors.badRequest('The request body is not valid JSON.') }
  }
}

/** A string field by its flat name, or by its dotted path into nested objects. */
function lookup(body: Record<string, unknown>, name: string): string | undefined {
  const flat = body[name]
  if (typeof flat === 'string') return flat
  let value: unknown = body
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return typeof value === 'string' ? value : undefined
}

/**
 * How much an Accept header wants `type/subtype`: the q-value of the most specific matching range,
 * and how specific that range is: 2 exact, 1 a `type/` wildcard, 0 the full wildcard, -1 no match
 * (RFC 9110 §12.5.1).
 */
function preference(accept: string, type: string, subtype: string): { q: number; specificity: number } {
  let specificity = -1
  let q = 0
  for (const range of accept.split(',')) {
    const [media = '', ...params] = range.split(';')
    const [rangeType, rangeSubtype] = media.trim().toLowerCase().split('/')
    const matched =
      rangeType === type && rangeSubtype === subtype ? 2 : rangeType === type && rangeSubtype === '*' ? 1 : rangeType === '*' && rangeSubtype === '*' ? 0 : -1
    if (matched <= specificity) continue
    specificity = matched
    const qParam = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    q = qParam === undefined ? 1 : Number(qParam.slice(2)) || 0
  }
  return { q, specificity }
}
