import { randomUUID } from 'node:crypto'
import { ExpiringMap } from './expiring-map.js'

/** The Kratos courier templates this server sends. */
export type TemplateType = 'recovery_code_valid' | 'verification_code_valid'

export interface CourierMessage {
  readonly id: string
  readonly recipient: string
  readonly templateType: TemplateType
  readonly subject: string
  readonly body: string
  readonly createdAt: number
}

/** Subject and text of Kratos' default email templates for codes. */
const TEMPLATES: Readonly<Record<TemplateType, { subject: string; intro: string; what: string }>> = {
  recovery_code_valid: {
    subject: 'Recover access to your account',
    intro: 'please recover access to your account by entering the following code:',
    what: 'recovery code',
  },
  verification_code_valid: {
    subject: 'Please verify your email address',
    intro: 'please verify your account by entering the following code:',
    what: 'verification code',
  },
}

const MAX_MESSAGES = 1_000
const RETAIN_MS = 24 * 60 * 60 * 1000

/**
 * The courier, without SMTP: every message is kept (the last thousand, a day at most) for the
 * admin API and the outbox page, and announced as one line (the code in it) for whoever watches
 * the terminal.
 */
export class Outbox {
  readonly #messages = new ExpiringMap<CourierMessage>(MAX_MESSAGES, (message) => message.createdAt + RETAIN_MS)
  readonly #announce: (line: string) => void

  constructor(announce: (line: string) => void) {
    this.#announce = announce
  }

  /** "Sends" a code to `recipient`. */
  send(templateType: TemplateType, recipient: string, code: string, now: number): CourierMessage {
    const template = TEMPLATES[templateType]
    const message: CourierMessage = {
      id: randomUUID(),
      recipient,
      templateType,
      subject: template.subject,
      body: `Hi,\n\n${template.intro}\n\n${code}\n`,
      createdAt: now,
    }
    this.#messages.set(message.id, message, now)
    // Addresses passed schema validation, but a line must stay one line whatever they hold.
    const to = recipient.replace(/[\u0000-\u001f\u007f]/g, '?')
    this.#announce(`courier: ${template.what} for ${to}: ${code}`)
    return message
  }

  /** Messages newest first, optionally only those to one recipient. */
  list(now: number, recipient?: string): CourierMessage[] {
    const all = [...this.#messages.values(now)].reverse()
    return recipient === undefined ? all : all.filter((message) => message.recipient === recipient)
  }

  get(id: string, now: number): CourierMessage | undefined {
    return this.#messages.get(id, now)
  }
}

/** A message as Kratos' admin API lists it (`GET /admin/courier/messages`): delivered at once. */
export function messageJson(message: CourierMessage): Record<string, unknown> {
  const at = new Date(message.createdAt).toISOString()
  return {
    id: message.id,
    status: 'sent',
    type: 'email',
    channel: 'email',
    recipient: message.recipient,
    subject: message.subject,
    body: message.body,
    template_type: message.templateType,
    send_count: 1,
    created_at: at,
    updated_at: at,
  }
}
