/**
 * Ory role: `/sessions/whoami` as Ory Network answers it, for the sessions `ory_session_bench=<n>`
 * with 0 ≤ n < argv[2] (default 200,000); anything else is 401. The session is a realistic but
 * small one (password login, one verified e-mail, a name: about 1 KiB of JSON), so the JWT and the
 * cache entry have the size a real app sees. Answers `{ calls }` to any IPC message.
 */
import http from 'node:http'
import { serveRole } from '../lib/serve-role.js'

const SESSIONS = Number(process.argv[2] ?? 200_000)
const COOKIE = /(?:^|;\s*)ory_session_bench=(\d+)/
const started = new Date().toISOString()
const expires = new Date(Date.now() + 24 * 3_600_000).toISOString()

function sessionJson(n: number): string {
  const id = `9f2c1b6e-4a7d-4c1e-8b3a-${String(n).padStart(12, '0')}`
  const email = `user${n}@example.org`
  return JSON.stringify({
    id: `5e1d3c2a-7b6f-4e8d-9a0b-${String(n).padStart(12, '0')}`,
    active: true,
    expires_at: expires,
    authenticated_at: started,
    authenticator_assurance_level: 'aal1',
    authentication_methods: [{ method: 'password', aal: 'aal1', completed_at: started }],
    issued_at: started,
    identity: {
      id,
      schema_id: 'preset://email',
      schema_url: 'https://bench.projects.oryapis.com/schemas/cHJlc2V0Oi8vZW1haWw',
      state: 'active',
      traits: { email, name: { first: 'Ada', last: 'Lovelace' } },
      verifiable_addresses: [{ id, value: email, verified: true, via: 'email', status: 'completed', created_at: started }],
      recovery_addresses: [{ id, value: email, via: 'email', created_at: started }],
      metadata_public: null,
      created_at: started,
      updated_at: started,
    },
  })
}

let calls = 0
const server = http.createServer((req, res) => {
  calls++
  const match = COOKIE.exec(req.headers.cookie ?? '')
  const n = match === null ? -1 : Number(match[1])
  if (req.url !== '/sessions/whoami' || n < 0 || n >= SESSIONS) {
    res.writeHead(401, { 'content-type': 'application/json' })
    return res.end('{"error":{"code":401,"status":"Unauthorized"}}')
  }
  const body = sessionJson(n)
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
})
process.on('message', () => process.send!({ calls }))
await serveRole(server)
