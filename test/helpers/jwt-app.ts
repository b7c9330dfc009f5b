import http from 'node:http'
import type { TestContext } from 'node:test'
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { serveOnLoopback } from './upstream.js'

/** What the app tells the test about one request it received. */
export interface AppView {
  /** Every Authorization line the app received (raw headers, duplicates kept). */
  readonly authorization: string[]
  /** The verified claims when there was exactly one Bearer token and it verified. */
  readonly claims: JWTPayload | undefined
  readonly header: Record<string, unknown> | undefined
  readonly error: string | undefined
  readonly url: string
}

export interface JwtApp {
  readonly url: string
  /** Requests received so far. */
  count: number
  /** Points the verifier at the proxy (known only after the proxy started). */
  useProxy(proxyUrl: string, issuer: string): void
  close(): Promise<void>
}

/**
 * The app behind the proxy, verifying the JWT the way the README recommends: jose's
 * `createRemoteJWKSet` on the proxy's `/.ory/jwks.json` and `jwtVerify` with `algorithms: ['ES256']`
 * and the issuer. Answers each request with an {@link AppView} as JSON.
 */
export async function startJwtApp(t: TestContext): Promise<JwtApp> {
  let jwks: JWTVerifyGetKey | undefined
  let issuer = ''
  const app: JwtApp = {
    url: '',
    count: 0,
    useProxy: (proxyUrl, iss) => {
      jwks = createRemoteJWKSet(new URL('/.ory/jwks.json', proxyUrl))
      issuer = iss
    },
    close: async () => {},
  }
  const server = http.createServer((req, res) => {
    app.count++
    req.resume()
    const authorization: string[] = []
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]!.toLowerCase() === 'authorization') authorization.push(req.rawHeaders[i + 1]!)
    }
    const send = (view: Omit<AppView, 'authorization' | 'url'>) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ ...view, authorization, url: req.url }))
    }
    if (authorization.length !== 1 || !authorization[0]!.startsWith('Bearer ') || jwks === undefined) {
      return send({ claims: undefined, header: undefined, error: undefined })
    }
    jwtVerify(authorization[0]!.slice(7), jwks, { algorithms: ['ES256'], issuer }).then(
      ({ payload, protectedHeader }) => send({ claims: payload, header: protectedHeader, error: undefined }),
      (error: Error) => send({ claims: undefined, header: undefined, error: `${error.name}: ${error.message}` }),
    )
  })
  const { url, close } = await serveOnLoopback(t, server)
  return Object.assign(app, { url, close })
}
