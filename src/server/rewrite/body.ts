import { promisify } from 'node:util'
import { zlib } from '../../node-builtins.js'

/** What Ory response bodies are rewritten to, fixed at start-up. */
export interface BodyRule {
  /** The Ory base URL as it appears in bodies, e.g. `https://slug.projects.oryapis.com`. */
  readonly search: Buffer
  /** Where the browser reaches Ory, e.g. `http://localhost:4000/.ory`. */
  readonly replace: Buffer
  /** Bodies larger than this are passed through unmodified rather than buffered. */
  readonly maxBytes: number
}

export const DEFAULT_MAX_REWRITE_BYTES = 10 * 1024 * 1024

/** Text types that can carry Ory URLs: HTML, JSON, JavaScript, CSS, plain text, XML. */
const TEXT_TYPE = /^\s*(?:text\/|application\/(?:[\w.+-]*\+)?(?:json|javascript|ecmascript|xml|x-www-form-urlencoded)\b)/i

type Coding = 'identity' | 'gzip' | 'deflate' | 'br'

const CODINGS: Readonly<Record<string, Coding>> = {
  '': 'identity',
  identity: 'identity',
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
  br: 'br',
}

/** Decoders stop at `maxOutputLength`, so a small compressed body cannot inflate without bound. */
const decoders: Readonly<Record<Exclude<Coding, 'identity'>, (input: Buffer, max: number) => Promise<Buffer>>> = {
  gzip: (input, max) => promisify(zlib().gunzip)(input, { maxOutputLength: max }),
  deflate: (input, max) => promisify(zlib().inflate)(input, { maxOutputLength: max }),
  br: (input, max) => promisify(zlib().brotliDecompress)(input, { maxOutputLength: max }),
}

const encoders: Readonly<Record<Exclude<Coding, 'identity'>, (input: Buffer) => Promise<Buffer>>> = {
  gzip: (input) => promisify(zlib().gzip)(input, { level: 6 }),
  deflate: (input) => promisify(zlib().deflate)(input, { level: 6 }),
  br: (input) =>
    promisify(zlib().brotliCompress)(input, { params: { [zlib().constants.BROTLI_PARAM_QUALITY]: 5 } }),
}

/**
 * Whether a response with these headers gets its body rewritten: a text type in an encoding we can
 * decode (identity, gzip, deflate, br). Anything else streams untouched.
 */
export function isRewritable(contentType: string | undefined, contentEncoding: string | undefined): boolean {
  if (contentType === undefined || !TEXT_TYPE.test(contentType)) return false
  return codingOf(contentEncoding) !== undefined
}

function codingOf(contentEncoding: string | undefined): Coding | undefined {
  return CODINGS[(contentEncoding ?? '').trim().toLowerCase()]
}

/**
 * Replaces every whole occurrence of the Ory base URL in a (possibly compressed) body and re-encodes it
 * with the same coding. Returns the input unchanged (same Buffer) when nothing matched, so callers
 * can keep the original `Content-Length`. Rejects when the body does not decode or decodes to more
 * than `rule.maxBytes`; callers then pass the original through.
 */
export async function rewriteBody(body: Buffer, contentEncoding: string | undefined, rule: BodyRule): Promise<Buffer> {
  const coding = codingOf(contentEncoding)
  if (coding === undefined) return body
  const plain = coding === 'identity' ? body : await decoders[coding](body, rule.maxBytes)
  const replaced = replaceOrigin(plain, rule.search, rule.replace)
  if (replaced === plain) return body
  return coding === 'identity' ? replaced : encoders[coding](replaced)
}

/**
 * Byte-level replace of every whole occurrence of `origin`; returns `haystack` itself when there is
 * none. An occurrence followed by more host or port (`http://127.0.0.1:44331` when the origin is
 * `http://127.0.0.1:4433`, or `https://x.oryapis.com.evil.example`) names another origin and is kept.
 */
export function replaceOrigin(haystack: Buffer, origin: Buffer, replacement: Buffer): Buffer {
  let at = haystack.indexOf(origin)
  if (at === -1) return haystack
  const parts: Buffer[] = []
  let from = 0
  while (at !== -1) {
    const end = at + origin.length
    if (!continuesOrigin(haystack, end)) {
      parts.push(haystack.subarray(from, at), replacement)
      from = end
    }
    at = haystack.indexOf(origin, end)
  }
  if (parts.length === 0) return haystack
  parts.push(haystack.subarray(from))
  return Buffer.concat(parts)
}

/** A letter, digit, `-`, `_` or `:` right after the match, or a `.` followed by one of those, extends the host or port. */
function continuesOrigin(haystack: Buffer, at: number): boolean {
  const next = haystack[at]
  if (next === undefined) return false
  if (next === 0x3a /* : */ || isHostByte(next)) return true
  const after = haystack[at + 1]
  return next === 0x2e /* . */ && after !== undefined && isHostByte(after)
}

function isHostByte(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a) || byte === 0x2d || byte === 0x5f
}
