import type { FieldMessages } from './schema.js'
import { texts, type UiText } from './texts.js'

/** Kratos' default `min_password_length`. */
export const MIN_PASSWORD_LENGTH = 8
/** Bounds the work one request can cause; scrypt takes long input fine, but nobody types more. */
export const MAX_PASSWORD_LENGTH = 1024

export type { FieldMessages }

/** The identifier a person logs in with: Kratos matches identifiers case-insensitively. */
export function identifierOf(text: string): string {
  return text.trim().toLowerCase()
}

/** Checks that a login names an identifier and a password (their match is checked elsewhere). */
export function checkLogin(identifier: string | undefined, password: string | undefined): FieldMessages {
  const problems: FieldMessages = {}
  if (!identifier?.trim()) problems.identifier = [texts.required('identifier')]
  if (!password) problems.password = [texts.required('password')]
  return problems
}

/**
 * Kratos' password policy: at least 8 characters, at most 1,024 here, and not one of the
 * identifiers (or an email identifier's local part).
 */
export function passwordProblem(password: string | undefined, identifiers: readonly string[]): UiText | undefined {
  if (!password) return texts.required('password')
  const length = [...password].length
  if (length < MIN_PASSWORD_LENGTH) return texts.passwordTooShort(MIN_PASSWORD_LENGTH, length)
  if (length > MAX_PASSWORD_LENGTH) return texts.passwordTooLong(MAX_PASSWORD_LENGTH, length)
  const lower = password.toLowerCase()
  const similar = identifiers.some((identifier) => {
    const at = identifier.indexOf('@')
    return lower === identifier || (at > 0 && lower === identifier.slice(0, at))
  })
  return similar ? texts.passwordTooSimilar() : undefined
}

export function hasProblems(problems: FieldMessages): boolean {
  return Object.keys(problems).length > 0
}
