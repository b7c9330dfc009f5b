/**
 * Kratos' UI texts (`ui.messages`, node messages and labels): the numeric ids and wording from
 * Kratos' `text` package, so apps that translate or branch on `id` keep working.
 */
export interface UiText {
  readonly id: number
  readonly text: string
  readonly type: 'info' | 'error' | 'success'
  readonly context?: Readonly<Record<string, unknown>>
}

export type FlowKind = 'login' | 'registration'

const info = (id: number, text: string, context?: Record<string, unknown>): UiText =>
  context === undefined ? { id, text, type: 'info' } : { id, text, type: 'info', context }
const error = (id: number, text: string, context?: Record<string, unknown>): UiText =>
  context === undefined ? { id, text, type: 'error' } : { id, text, type: 'error', context }

export const texts = {
  /** 1010001 / 1040001: the submit buttons. */
  submit: (kind: FlowKind): UiText => (kind === 'login' ? info(1010001, 'Sign in') : info(1040001, 'Sign up')),
  /** 1070001 */
  passwordLabel: (): UiText => info(1070001, 'Password'),
  /** 1070002: a label generated from the identity schema's `title`. */
  schemaLabel: (title: string): UiText => info(1070002, title, { title }),
  /** 4000001: Kratos reports JSON-schema format failures this way. */
  invalidFormat: (value: string, format: string): UiText => {
    const reason = `${JSON.stringify(value)} is not valid ${JSON.stringify(format)}`
    return error(4000001, reason, { reason })
  },
  /** 4000002 */
  required: (property: string): UiText => error(4000002, `Property ${property} is missing.`, { property }),
  /** 4000006: the same answer for an unknown identifier and a wrong password. */
  invalidCredentials: (): UiText =>
    error(
      4000006,
      'The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.',
    ),
  /** 4000007 */
  duplicate: (): UiText => error(4000007, 'An account with the same identifier (email, phone, username, ...) exists already.'),
  /** 4000031 */
  passwordTooSimilar: (): UiText =>
    error(4000031, 'The password can not be used because it is too similar to the identifier.'),
  /** 4000032 */
  passwordTooShort: (min: number, actual: number): UiText =>
    error(4000032, `The password must be at least ${min} characters long, but got ${actual}.`, {
      min_length: min,
      actual_length: actual,
    }),
  /** 4000033 */
  passwordTooLong: (max: number, actual: number): UiText =>
    error(4000033, `The password must be at most ${max} characters long, but got ${actual}.`, {
      max_length: max,
      actual_length: actual,
    }),
  /** 4010001 / 4040001 */
  flowExpired: (kind: FlowKind, expiredAt: number, now: number): UiText =>
    error(
      kind === 'login' ? 4010001 : 4040001,
      `The ${kind} flow expired ${minutesSince(expiredAt, now)} minutes ago, please try again.`,
      { expired_at: new Date(expiredAt).toISOString(), expired_at_unix: Math.floor(expiredAt / 1000) },
    ),
  /** 4010002 / 4010003: no `method`, or one this server does not offer. */
  noStrategy: (kind: FlowKind): UiText =>
    kind === 'login'
      ? error(4010002, 'Could not find a strategy to log you in with. Did you fill out the form correctly?')
      : error(4010003, 'Could not find a strategy to sign you up with. Did you fill out the form correctly?'),
  /** 4010007 / 4040002: the flow already succeeded and cannot be replayed. */
  alreadyCompleted: (kind: FlowKind): UiText =>
    error(
      kind === 'login' ? 4010007 : 4040002,
      'The request was already completed successfully and can not be retried.',
    ),
} as const

/** Kratos prints elapsed minutes with two decimals. */
export function minutesSince(then: number, now: number): string {
  return (Math.max(0, now - then) / 60_000).toFixed(2)
}
