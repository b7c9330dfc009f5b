import { MAX_EMAIL_LENGTH } from './schema.js'
import { texts, type UiText } from './texts.js'

/** Kratos' default `min_password_length`. */
export const MIN_PASSWORD_LENGTH = 8
/** Bounds the work one request can cause; scrypt takes long input fine, but nobody types more. */
export const MAX_PASSWORD_LENGTH = 1024

/** One `@`, something on both sides, no spaces or angle brackets (a display-name form is not an address). */
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/

/** Messages by form field; empty when the submission is acceptable. */
export type FieldMessages = Record<string, UiText[]>

/** The identifier an email logs in with: Kratos matches email identifiers case-insensitively. */
export function identifierOf(email: string): string {
  return email.trim().toLowerCase()
}

/** Checks a registration against the identity schema and the password policy. */
export function checkRegistration(email: string | undefined, password: string | undefined): FieldMessages {
  const problems: FieldMessages = {}
  const address = email?.trim() ?? ''
  if (address === '') problems['traits.email'] = [texts.required('email')]
  else if (address.length > MAX_EMAIL_LENGTH || !EMAIL.test(address)) {
    problems['traits.email'] = [texts.invalidFormat(address, 'email')]
  }
  const problem = passwordProblem(password ?? '', identifierOf(address))
  if (problem !== undefined) problems.password = [problem]
  return problems
}

/** Checks that a login names an identifier and a password (their match is checked elsewhere). */
export function checkLogin(identifier: string | undefined, password: string | undefined): FieldMessages {
  const problems: FieldMessages = {}
  if (!identifier?.trim()) problems.identifier = [texts.required('identifier')]
  if (!password) problems.password = [texts.required('password')]
  return problems
}

function passwordProblem(password: string, identifier: string): UiText | undefined {
  if (password === '') return texts.required('password')
  const length = [...password].length
  if (length < MIN_PASSWORD_LENGTH) return texts.passwordTooShort(MIN_PASSWORD_LENGTH, length)
  if (length > MAX_PASSWORD_LENGTH) return texts.passwordTooLong(MAX_PASSWORD_LENGTH, length)
  const lower = password.toLowerCase()
  // Kratos refuses passwords close to the identifier; the address and its local part are the obvious cases.
  if (identifier !== '' && (lower === identifier || lower === identifier.slice(0, identifier.indexOf('@')))) {
    return texts.passwordTooSimilar()
  }
  return undefined
}
