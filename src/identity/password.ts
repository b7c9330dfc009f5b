import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { canonicalScrypt, importedKind, verifyImported } from './imported-hash.js'

/**
 * scrypt cost: N = 2^14, r = 8, p = 1 (16 MiB, the RFC 7914 §2 interactive-login figure), run on
 * libuv's thread pool so hashing never blocks the event loop.
 */
const COST = { log2N: 14, r: 8, p: 1 } as const
const KEY_BYTES = 32
const SALT_BYTES = 16
/** Upper bounds for parameters read back from a stored hash, so an edited store cannot ask for gigabytes. */
const MAX = { log2N: 20, r: 16, p: 4 } as const

/** PHC string format: `$scrypt$ln=14,r=8,p=1$<salt>$<hash>`, both base64 without padding. */
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d)\$([A-Za-z0-9+/]{16,88})\$([A-Za-z0-9+/]{43,88})$/

interface Params {
  readonly log2N: number
  readonly r: number
  readonly p: number
}

function derive(password: string, salt: Buffer, params: Params, length: number): Promise<Buffer> {
  const N = 2 ** params.log2N
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

/**
 * Hashes a password with scrypt and a random salt into a self-describing PHC string.
 *
 * @example await hashPassword('correct horse') // '$scrypt$ln=14,r=8,p=1$…$…'
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, COST, KEY_BYTES)
  return `$scrypt$ln=${COST.log2N},r=${COST.r},p=${COST.p}$${unpadded(salt)}$${unpadded(key)}`
}

/** Whether `encoded` is a hash {@link verifyPassword} can check: this server's scrypt, or an imported format. */
export function isPasswordHash(encoded: string): boolean {
  return parse(encoded) !== undefined || importedKind(encoded) !== undefined
}

/**
 * The hash to store for an imported `hashed_password`, or undefined when this server cannot check
 * it. Kratos' scrypt (`ln` = N) becomes this server's form; bcrypt, argon2 and PBKDF2 are kept as
 * they are; this server's own scrypt form is accepted too (a hash copied from a store file).
 */
export function importableHash(encoded: string): string | undefined {
  const scryptHash = canonicalScrypt(encoded)
  if (scryptHash !== undefined) return parse(scryptHash) === undefined ? undefined : scryptHash
  return isPasswordHash(encoded) ? encoded : undefined
}

/**
 * Checks a password against a stored hash in constant time. A malformed hash never matches.
 *
 * @example await verifyPassword('correct horse', stored) // true
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parse(encoded)
  if (parsed === undefined) return verifyImported(password, encoded)
  const key = await derive(password, parsed.salt, parsed, parsed.hash.length)
  return timingSafeEqual(key, parsed.hash)
}

/**
 * A hash of no one's password. Checking an unknown identifier against it costs as much as a real
 * check, so response times do not reveal which accounts exist.
 */
let decoy: Promise<string> | undefined
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'))
  return decoy
}

function parse(encoded: string): (Params & { salt: Buffer; hash: Buffer }) | undefined {
  const match = PHC.exec(encoded)
  if (!match) return undefined
  const log2N = Number(match[1])
  const r = Number(match[2])
  const p = Number(match[3])
  if (log2N < 1 || log2N > MAX.log2N || r < 1 || r > MAX.r || p < 1 || p > MAX.p) return undefined
  return { log2N, r, p, salt: Buffer.from(match[4]!, 'base64'), hash: Buffer.from(match[5]!, 'base64') }
}

function unpadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '')
}
