import { createHash, randomInt, timingSafeEqual } from 'node:crypto'

/** Kratos' code length for recovery and verification codes. */
export const CODE_DIGITS = 6

/** Kratos refuses a flow's sixth code submission, right or wrong (persister_code.go: `submitCount > 5`). */
export const MAX_CODE_SUBMISSIONS = 5

/** A fresh 6-digit code, uniformly random (leading zeros kept). */
export function newCode(): string {
  return String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0')
}

/** Only a hash of the code is kept, bound to its flow, so a code is worth nothing on another flow. */
export function hashCode(flowId: string, code: string): string {
  return createHash('sha256').update(`${flowId}\0${code}`).digest('base64url')
}

/** Whether `submitted` is the code whose hash is `expected` (constant time). */
export function codeMatches(flowId: string, submitted: string, expected: string): boolean {
  return timingSafeEqual(Buffer.from(hashCode(flowId, submitted.trim())), Buffer.from(expected))
}
