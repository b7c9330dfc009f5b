import { pbkdf2, timingSafeEqual } from 'node:crypto'

/**
 * Password hashes imported through the admin API (`credentials.password.config.hashed_password`),
 * in the PHC-style formats Kratos accepts (hash/hash_comparator.go) that this server can check:
 * bcrypt (`$2a$`, `$2b$`, `$2y$`; bcryptjs), argon2id and argon2i (`$argon2id$v=19$m=…,t=…,p=…$`;
 * the `argon2` package, off the event loop) and PBKDF2 (`$pbkdf2-sha256$i=…,l=…$`; node:crypto).
 * Kratos' scrypt format is turned into this server's own at import (see {@link canonicalScrypt}).
 * Parameters are bounded, so an imported hash cannot ask a login for minutes of CPU or gigabytes.
 * Kratos' other formats (md5, sha, ssha, hmac, firescrypt, md5-crypt, sha-crypt) are refused.
 */
export type ImportedKind = 'bcrypt' | 'argon2' | 'pbkdf2'

const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/
const ARGON2 = /^\$argon2(id|i)\$v=19\$m=(\d{1,7}),t=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,88})\$([A-Za-z0-9+/]{16,172})$/
const PBKDF2 = /^\$pbkdf2-(sha1|sha224|sha256|sha384|sha512)\$i=(\d{1,8}),l=(\d{1,3})\$([A-Za-z0-9+/]{4,88})\$([A-Za-z0-9+/]{16,172})$/
/** Kratos' scrypt: `ln` is N itself (not its logarithm), salt and key in padded base64. */
const KRATOS_SCRYPT = /^\$scrypt\$ln=(\d{1,8}),r=(\d{1,2}),p=(\d)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/

const LIMITS = { bcryptCost: 16, argon2MemoryKiB: 256 * 1024, argon2Time: 16, argon2Lanes: 16, pbkdf2Iterations: 10_000_000, keyBytes: 128 } as const
/** bcrypt reads at most 72 bytes of a password; Kratos refuses longer ones rather than ignore the rest. */
const BCRYPT_MAX_PASSWORD_BYTES = 72

/** Which imported format `encoded` is, when it is one this server checks and its parameters are within bounds. */
export function importedKind(encoded: string): ImportedKind | undefined {
  const bcrypt = BCRYPT.exec(encoded)
  if (bcrypt) return Number(bcrypt[1]) >= 4 && Number(bcrypt[1]) <= LIMITS.bcryptCost ? 'bcrypt' : undefined
  const argon2 = ARGON2.exec(encoded)
  if (argon2) {
    const [m, t, p] = [Number(argon2[2]), Number(argon2[3]), Number(argon2[4])]
    const ok = m >= 8 * p && m <= LIMITS.argon2MemoryKiB && t >= 1 && t <= LIMITS.argon2Time && p >= 1 && p <= LIMITS.argon2Lanes
    return ok ? 'argon2' : undefined
  }
  const pbkdf = PBKDF2.exec(encoded)
  if (pbkdf) {
    const [i, l] = [Number(pbkdf[2]), Number(pbkdf[3])]
    const ok = i >= 1 && i <= LIMITS.pbkdf2Iterations && l >= 16 && l <= LIMITS.keyBytes && Buffer.from(pbkdf[5]!, 'base64').length === l
    return ok ? 'pbkdf2' : undefined
  }
  return undefined
}

/**
 * Kratos' scrypt hash (`$scrypt$ln=16384,r=8,p=1$<salt>$<key>`, N as given, padded base64) in
 * this server's form (`ln` = log2 N, unpadded), which `verifyPassword` checks; undefined when it
 * is not one or N is not a power of two.
 */
export function canonicalScrypt(encoded: string): string | undefined {
  const match = KRATOS_SCRYPT.exec(encoded)
  if (!match) return undefined
  const n = Number(match[1])
  const log2N = Math.log2(n)
  if (!Number.isInteger(log2N) || log2N < 1) return undefined
  const unpadded = (text: string) => text.replace(/=+$/, '')
  return `$scrypt$ln=${log2N},r=${Number(match[2])},p=${Number(match[3])}$${unpadded(match[4]!)}$${unpadded(match[5]!)}`
}

/** Checks `password` against an imported hash (constant time where the comparison is ours); false for anything else. */
export async function verifyImported(password: string, encoded: string): Promise<boolean> {
  switch (importedKind(encoded)) {
    case 'bcrypt': {
      if (Buffer.byteLength(password) > BCRYPT_MAX_PASSWORD_BYTES) return false
      const { default: bcrypt } = await import('bcryptjs')
      return bcrypt.compare(password, encoded)
    }
    case 'argon2': {
      const { default: argon2 } = await import('argon2')
      return argon2.verify(encoded, password)
    }
    case 'pbkdf2': {
      const [, digest, iterations, length, salt, key] = PBKDF2.exec(encoded)!
      const expected = Buffer.from(key!, 'base64')
      const derived = await new Promise<Buffer>((resolve, reject) =>
        pbkdf2(password, Buffer.from(salt!, 'base64'), Number(iterations), Number(length), digest!, (error, bytes) => (error ? reject(error) : resolve(bytes))),
      )
      return timingSafeEqual(derived, expected)
    }
    default:
      return false
  }
}
