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

export type FlowKind = 'login' | 'registration' | 'settings' | 'recovery' | 'verification'

const info = (id: number, text: string, context?: Record<string, unknown>): UiText =>
  context === undefined ? { id, text, type: 'info' } : { id, text, type: 'info', context }
const error = (id: number, text: string, context?: Record<string, unknown>): UiText =>
  context === undefined ? { id, text, type: 'error' } : { id, text, type: 'error', context }

/** Kratos' flow-expired ids (4010001 login, 4040001 registration, 4050001 settings, 4060005 recovery, 4070005 verification). */
const EXPIRED_IDS: Readonly<Record<FlowKind, number>> = {
  login: 4010001,
  registration: 4040001,
  settings: 4050001,
  recovery: 4060005,
  verification: 4070005,
}
/** 4010002 … 4010006: no `method`, or one this server does not offer. */
const NO_STRATEGY: Readonly<Record<FlowKind, { id: number; text: string }>> = {
  login: { id: 4010002, text: 'Could not find a strategy to log you in with. Did you fill out the form correctly?' },
  registration: { id: 4010003, text: 'Could not find a strategy to sign you up with. Did you fill out the form correctly?' },
  settings: { id: 4010004, text: 'Could not find a strategy to update your settings. Did you fill out the form correctly?' },
  recovery: { id: 4010005, text: 'Could not find a strategy to recover your account with. Did you fill out the form correctly?' },
  verification: { id: 4010006, text: 'Could not find a strategy to verify your account with. Did you fill out the form correctly?' },
}
/** 4010007 / 4040002 / 4060001 / 4070002: the flow already succeeded and cannot be replayed. */
const RETRY_SUCCESS: Readonly<Record<Exclude<FlowKind, 'settings'>, number>> = {
  login: 4010007,
  registration: 4040002,
  recovery: 4060001,
  verification: 4070002,
}

const BOUNDS = {
  minimum: { id: 4000018, op: '>=' },
  exclusiveMinimum: { id: 4000019, op: '>' },
  maximum: { id: 4000020, op: '<=' },
  exclusiveMaximum: { id: 4000021, op: '<' },
} as const

export const texts = {
  /** 1010001 / 1040001: the login and registration submit buttons. */
  submit: (kind: 'login' | 'registration'): UiText => (kind === 'login' ? info(1010001, 'Sign in') : info(1040001, 'Sign up')),
  /** 1010003: a refresh login (`refresh=true`). */
  reauthenticate: (): UiText => info(1010003, 'Please confirm this action by verifying that it is you.'),
  /** 1050001 */
  settingsSaved: (): UiText => ({ id: 1050001, text: 'Your changes have been saved!', type: 'success' }),
  /** 1060001: recovery signed the person in; the privileged window is what is left to change the password. */
  recovered: (privilegedUntil: number, now: number): UiText => ({
    id: 1060001,
    text: `You successfully recovered your account. Please change your password or set up an alternative login method (e.g. social sign in) within the next ${minutesUntil(privilegedUntil, now)} minutes.`,
    type: 'success',
    context: {
      privilegedSessionExpiresAt: new Date(privilegedUntil).toISOString(),
      privileged_session_expires_at: new Date(privilegedUntil).toISOString(),
      privileged_session_expires_at_unix: Math.floor(privilegedUntil / 1000),
    },
  }),
  /** 1060003 */
  recoveryCodeSent: (): UiText =>
    info(
      1060003,
      'An email containing a recovery code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.',
    ),
  /** 1070001 */
  passwordLabel: (): UiText => info(1070001, 'Password'),
  /** 1070002: a label generated from the identity schema's `title` (the field name without one). */
  schemaLabel: (title: string, name: string): UiText => info(1070002, title, { title, name }),
  /** 1070003 */
  save: (): UiText => info(1070003, 'Save'),
  /** 1070004: the login identifier's label. */
  idLabel: (): UiText => info(1070004, 'ID'),
  /** 1070005 */
  submitLabel: (): UiText => info(1070005, 'Submit'),
  /** 1070007 */
  emailLabel: (): UiText => info(1070007, 'Email'),
  /** 1070008 */
  resendCode: (): UiText => info(1070008, 'Resend code'),
  /** 1070009 */
  continueLabel: (): UiText => info(1070009, 'Continue'),
  /** 1070010 / 1070011 */
  codeLabel: (kind: 'recovery' | 'verification'): UiText =>
    kind === 'recovery' ? info(1070010, 'Recovery code') : info(1070011, 'Verification code'),
  /** 1080002 */
  verified: (): UiText => ({ id: 1080002, text: 'You successfully verified your email address.', type: 'success' }),
  /** 1080003 */
  verificationCodeSent: (): UiText =>
    info(
      1080003,
      'An email containing a verification code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.',
    ),
  /** 4000001: Kratos' generic validation message, the validator's reason as text. */
  generic: (reason: string): UiText => error(4000001, reason, { reason }),
  /** 4000001: Kratos reports JSON-schema format failures this way. */
  invalidFormat: (value: string, format: string): UiText => {
    const reason = `${JSON.stringify(value)} is not valid ${JSON.stringify(format)}`
    return error(4000001, reason, { reason })
  },
  /** 4000002 */
  required: (property: string): UiText => error(4000002, `Property ${property} is missing.`, { property }),
  /** 4000003 */
  minLength: (min: number, actual: number): UiText =>
    error(4000003, `length must be >= ${min}, but got ${actual}`, { min_length: min, actual_length: actual }),
  /** 4000004 */
  pattern: (pattern: string): UiText => error(4000004, `does not match pattern ${JSON.stringify(pattern)}`, { pattern }),
  /** 4000006: the same answer for an unknown identifier and a wrong password. */
  invalidCredentials: (): UiText =>
    error(
      4000006,
      'The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.',
    ),
  /** 4000007 */
  duplicate: (): UiText => error(4000007, 'An account with the same identifier (email, phone, username, ...) exists already.'),
  /** 4000009 */
  identifierMissing: (): UiText =>
    error(4000009, 'Could not find any login identifiers. Did you forget to set them? This could also be caused by a server misconfiguration.'),
  /** 4000017 */
  maxLength: (max: number, actual: number): UiText =>
    error(4000017, `length must be <= ${max}, but got ${actual}`, { max_length: max, actual_length: actual }),
  /** 4000018 – 4000021 */
  bound: (keyword: keyof typeof BOUNDS, limit: number, actual: number): UiText => {
    const { id, op } = BOUNDS[keyword]
    const key = keyword.endsWith('inimum') ? 'minimum' : 'maximum'
    return error(id, `must be ${op} ${limit} but found ${actual}`, { [key]: limit, actual })
  },
  /** 4000022 */
  multipleOf: (base: number, actual: number): UiText => error(4000022, `${actual} not multipleOf ${base}`, { base, actual }),
  /** 4000023 / 4000024 */
  items: (keyword: 'minItems' | 'maxItems', limit: number, actual: number): UiText =>
    keyword === 'maxItems'
      ? error(4000023, `maximum ${limit} items allowed, but found ${actual} items`, { max_items: limit, actual_items: actual })
      : error(4000024, `minimum ${limit} items allowed, but found ${actual} items`, { min_items: limit, actual_items: actual }),
  /** 4000025 */
  uniqueItems: (a: number, b: number): UiText => error(4000025, `items at index ${a} and ${b} are equal`, { index_a: a, index_b: b }),
  /** 4000026 */
  wrongType: (allowed: string[], actual: string): UiText =>
    error(4000026, `expected ${allowed.join(' or ')}, but got ${actual}`, { allowed_types: allowed, actual_type: actual }),
  /** 4000029 */
  constant: (expected: unknown): UiText =>
    error(4000029, `must be equal to constant ${typeof expected === 'string' ? expected : JSON.stringify(expected)}`, { expected }),
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
  /** The flow-expired message of each kind (4010001, 4040001, 4050001, 4060005, 4070005). */
  flowExpired: (kind: FlowKind, expiredAt: number, now: number): UiText =>
    error(EXPIRED_IDS[kind], `The ${kind} flow expired ${minutesSince(expiredAt, now)} minutes ago, please try again.`, {
      expired_at: new Date(expiredAt).toISOString(),
      expired_at_unix: Math.floor(expiredAt / 1000),
    }),
  /** 4010002 … 4010006: no `method`, or one this server does not offer. */
  noStrategy: (kind: FlowKind): UiText => error(NO_STRATEGY[kind].id, NO_STRATEGY[kind].text),
  /** The flow already succeeded and cannot be replayed. */
  alreadyCompleted: (kind: Exclude<FlowKind, 'settings'>): UiText =>
    error(RETRY_SUCCESS[kind], 'The request was already completed successfully and can not be retried.'),
  /** 4060006 / 4070006 */
  invalidCode: (kind: 'recovery' | 'verification'): UiText =>
    kind === 'recovery'
      ? error(4060006, 'The recovery code is invalid or has already been used. Please try again.')
      : error(4070006, 'The verification code is invalid or has already been used. Please try again.'),
} as const

/** Kratos prints elapsed minutes with two decimals. */
export function minutesSince(then: number, now: number): string {
  return (Math.max(0, now - then) / 60_000).toFixed(2)
}

function minutesUntil(then: number, now: number): string {
  return (Math.max(0, then - now) / 60_000).toFixed(2)
}
