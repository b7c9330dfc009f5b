import { createRequire } from 'node:module'

/**
 * Node's built-in modules that the proxy loads with `require`, some only at first use.
 *
 * `node:http` is required rather than imported: since Node 22 its exports include getters
 * (`WebSocket`, `CloseEvent`, `MessageEvent`) that load Node's bundled undici, and an ESM import of
 * a built-in module reads every export: 17-22 ms of each start here on Node 22, 24 and 26, for
 * classes the proxy never uses (nodejs/node#57649). `require` leaves them unread. Types still come
 * from `import type`, which emits nothing.
 */
const require = createRequire(import.meta.url)
const http = require('node:http') as typeof import('node:http')

export const { createServer, ServerResponse, STATUS_CODES } = http

// The rest load at their first call: most starts never need them, and each costs part of a start
// (Node 24.22, loaded beside node:http: node:http2 with node:tls 5-10 ms, node:crypto 4.6-5.0,
// node:zlib 1.9-4.9; on Node 20 about a third of that).

/** `node:http2`: HTTPS (at start), or the first h2c connection (`src/server/front.ts`). */
export function http2(): typeof import('node:http2') {
  return require('node:http2') as typeof import('node:http2')
}

/** `node:crypto` for what a plain `--no-jwt` start does not do: checking `--tls-*` files, keys for WebSockets over HTTP/2. */
export function crypto(): typeof import('node:crypto') {
  return require('node:crypto') as typeof import('node:crypto')
}

/** `node:zlib`: the first compressed Ory body to rewrite. */
export function zlib(): typeof import('node:zlib') {
  return require('node:zlib') as typeof import('node:zlib')
}
