import { promisify } from 'node:util'
import zlib from 'node:zlib'

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
  gzip: (input, max) => promisify(zlib.gunzip)(input, { maxOutputLength: max }),
  deflate: (input, max) => promisify(zlib.inflate)(input, { maxOutputLength: max }),
  br: (input, max) => promisify(zlib.brotliDecompress)(input, { maxOutputLength: max }),
}

const encoders: Readonly<Record<Exclude<Coding, 'identity'>, (input: Buffer) => Promise<Buffer>>> = {
  gzip: (input) => promisify(zlib.gzip)(input, { level: 6 }),
  deflate: (input) => promisify(zlib.deflate)(input, { level: 6 }),
  br: (input) =>
    promisify(zlib.brotliCompress)(input, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }),
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
 * Replaces every occurrence of the Ory base URL in a (possibly compressed) body and re-encodes it
 * with the same coding. Returns the input unchanged (same Buffer) when nothing matched, so callers
 * can keep the original `Content-Length`. Rejects when the body does not decode or decodes to more
 * than `rule.maxBytes`; callers then pass the original through.
 */
export async function rewriteBody(body: Buffer, contentEncoding: string | undefined, rule: BodyRule): Promise<Buffer> {
  const coding = codingOf(contentEncoding)
  if (coding === undefined) return body
  const plain = coding === 'identity' ? body : await decoders[coding](body, rule.maxBytes)
  const replaced = replaceAll(plain, rule.search, rule.replace)
  if (replaced === plain) return body
  return coding === 'identity' ? replaced : encoders[coding](replaced)
}

/** Byte-level replace; returns `haystack` itself when `needle` does not occur. */
export function replaceAll(haystack: Buffer, needle: Buffer, replacement: Buffer): Buffer {
  let at = haystack.indexOf(needle)
  if (at === -1) return haystack
  const parts: Buffer[] = []
  let from = 0
  while (at !== -1) {
    parts.push(haystack.subarray(from, at), replacement)
    from = at + needle.length
    at = haystack.indexOf(needle, from)
  }
  parts.push(haystack.subarray(from))
  return Buffer.concat(parts)
}
