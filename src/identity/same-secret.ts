import { timingSafeEqual } from 'node:crypto'

/** Compares a presented secret with the expected one in constant time (for equal lengths). */
export function sameSecret(presented: string, expected: string): boolean {
  const left = Buffer.from(presented)
  const right = Buffer.from(expected)
  return left.length === right.length && timingSafeEqual(left, right)
}
