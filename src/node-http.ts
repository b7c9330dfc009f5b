import { createRequire } from 'node:module'

/**
 * What we use of `node:http`, loaded with `require` rather than `import`. Since Node 22 its
 * exports include getters (`WebSocket`, `CloseEvent`, `MessageEvent`) that load Node's bundled
 * undici, and an ESM import of a built-in module reads every export: 17-22 ms of each start here
 * on Node 22, 24 and 26, for classes the proxy never uses (nodejs/node#57649). `require` leaves
 * them unread. Types still come from `import type`, which emits nothing.
 */
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http')

export const { createServer, ServerResponse, STATUS_CODES } = http
