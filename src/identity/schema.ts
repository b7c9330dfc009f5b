import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { ErrorObject, ValidateFunction } from 'ajv'
import { ConfigError } from '../errors.js'
import { traitMessage } from './trait-messages.js'
import type { UiText } from './texts.js'

/** Kratos' `identity.default_schema_id`; the one schema this server serves has this id. */
export const SCHEMA_ID = 'default'
/** RFC 5321 §4.5.3.1: a forward-path is at most 256 octets; 320 is the common (local 64 + @ + domain 255) bound. */
export const MAX_EMAIL_LENGTH = 320
/** Kratos' extension keyword in identity schemas. */
const KRATOS = 'ory.sh/kratos'

/** The default schema (`--identity-schema` not given), in the shape of Kratos' preset email/password schema. */
export const EMAIL_SCHEMA = Object.freeze({
  $id: 'https://schemas.ory.sh/presets/kratos/identity.email.schema.json',
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Person',
  type: 'object',
  properties: {
    traits: {
      type: 'object',
      properties: {
        email: {
          type: 'string',
          format: 'email',
          title: 'E-Mail',
          maxLength: MAX_EMAIL_LENGTH,
          [KRATOS]: {
            credentials: { password: { identifier: true } },
            verification: { via: 'email' },
            recovery: { via: 'email' },
          },
        },
      },
      required: ['email'],
      additionalProperties: false,
    },
  },
})

/** One trait a form can show: a leaf of `traits` (objects nest; arrays are validated but not rendered). */
export interface TraitField {
  /** The node name: `traits.name.first`. */
  readonly name: string
  readonly path: readonly string[]
  readonly type: 'string' | 'number' | 'integer' | 'boolean'
  readonly format: string | undefined
  readonly enum: readonly unknown[] | undefined
  readonly title: string | undefined
  /** Required in its object and every object above it. */
  readonly required: boolean
  /** `credentials.password.identifier`: people log in with it. */
  readonly identifier: boolean
  /** `verification.via: email`: the address gets a verification code. */
  readonly verification: boolean
  /** `recovery.via: email`: the address can recover the account. */
  readonly recovery: boolean
}

/** Messages by node name (`traits.email`, `password`, …); empty when the submission is acceptable. */
export type FieldMessages = Record<string, UiText[]>

/** What an identity's traits make of it under the schema: login identifiers and addresses. */
export interface TraitAddresses {
  readonly identifiers: readonly string[]
  readonly verifiable: readonly string[]
  readonly recovery: readonly string[]
}

/**
 * A Kratos identity schema, compiled: JSON Schema for the whole identity (`properties.traits`),
 * with Kratos' `ory.sh/kratos` extension marking the password identifier and the addresses used
 * for verification and recovery. Traits are validated with ajv (and ajv-formats); failures carry
 * Kratos' message ids and texts, by field.
 */
export class IdentitySchema {
  readonly id: string
  /** Kratos addresses schemas by the base64url of their id: `/schemas/ZGVmYXVsdA`. */
  readonly pathId: string
  /** The schema as served at `/schemas/<id>`. */
  readonly json: Readonly<Record<string, unknown>>
  readonly fields: readonly TraitField[]
  #validate: ValidateFunction | undefined

  private constructor(id: string, json: Record<string, unknown>, fields: TraitField[], validate: ValidateFunction | undefined) {
    this.id = id
    this.pathId = Buffer.from(id).toString('base64url')
    this.json = json
    this.fields = fields
    this.#validate = validate
  }

  /**
   * Compiles a schema; throws a `ConfigError` naming `source` when it is not a usable Kratos
   * identity schema (not JSON Schema, no `traits` object, no password identifier, an address
   * `via` other than email).
   */
  static compile(json: unknown, source: string, id = SCHEMA_ID, lazy = false): IdentitySchema {
    const fail = (reason: string): never => {
      throw new ConfigError(`--identity-schema: ${source}: ${reason}`)
    }
    if (!isObject(json)) return fail('not a JSON object')
    const traits = isObject(json.properties) ? json.properties.traits : undefined
    if (!isObject(traits) || traits.type !== 'object' || !isObject(traits.properties)) {
      return fail('properties.traits must be an object schema with properties')
    }
    const fields: TraitField[] = []
    collectFields(traits, [], true, fields, fail)
    if (!fields.some((field) => field.identifier)) {
      fail(`no trait is a password identifier ("${KRATOS}": { "credentials": { "password": { "identifier": true } } })`)
    }
    const frozen = deepFreeze(structuredClone(json))
    if (lazy) return new IdentitySchema(id, frozen, fields, undefined)
    try {
      return new IdentitySchema(id, frozen, fields, compileValidator(frozen))
    } catch (cause) {
      return fail(`not a valid JSON Schema: ${(cause as Error).message}`)
    }
  }

  /** Validates traits; messages are keyed by node name (`traits.name.first`). */
  validateTraits(traits: unknown): FieldMessages {
    this.#validate ??= compileValidator(this.json)
    if (this.#validate({ traits })) return {}
    const messages: FieldMessages = {}
    for (const error of this.#validate.errors ?? []) {
      const { name, text } = describeError(error)
      ;(messages[name] ??= []).push(text)
    }
    return messages
  }

  /**
   * The login identifiers and addresses the traits define (lower-cased and trimmed, as Kratos
   * stores them), each once.
   */
  addressesOf(traits: Readonly<Record<string, unknown>>): TraitAddresses {
    const identifiers = new Set<string>()
    const verifiable = new Set<string>()
    const recovery = new Set<string>()
    for (const field of this.fields) {
      const value = valueAt(traits, field.path)
      if (typeof value !== 'string' || value.trim() === '') continue
      const normalized = value.trim().toLowerCase()
      if (field.identifier) identifiers.add(normalized)
      if (field.verification) verifiable.add(normalized)
      if (field.recovery) recovery.add(normalized)
    }
    return { identifiers: [...identifiers], verifiable: [...verifiable], recovery: [...recovery] }
  }
}

/** Reads and compiles `--identity-schema <file>`; every failure is one `ConfigError` line. */
export async function loadIdentitySchema(file: string): Promise<IdentitySchema> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new ConfigError(`--identity-schema: cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new ConfigError(`--identity-schema: ${file} is not JSON: ${(cause as Error).message}`, { cause })
  }
  return IdentitySchema.compile(json, file)
}

/**
 * The default schema. Known to be valid, so its validator is compiled at the first registration:
 * loading and compiling ajv costs about 100–200 ms on a busy 2-core machine, which a start without
 * `--identity-schema` does not pay.
 */
export function defaultIdentitySchema(): IdentitySchema {
  return IdentitySchema.compile(EMAIL_SCHEMA, 'the default schema', SCHEMA_ID, true)
}

/** ajv is CommonJS: required when first needed, so importing this module loads none of it. */
const require = createRequire(import.meta.url)

function compileValidator(json: Readonly<Record<string, unknown>>): ValidateFunction {
  const { Ajv } = require('ajv') as typeof import('ajv')
  const formats = require('ajv-formats') as typeof import('ajv-formats')
  // Not strict: schemas carry Kratos' `ory.sh/kratos` keyword (a name ajv could not register) and others it ignores.
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true })
  formats.default(ajv)
  return ajv.compile(json)
}

/** A value by its path into nested objects. */
export function valueAt(object: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = object
  for (const part of path) {
    if (!isObject(value)) return undefined
    value = value[part]
  }
  return value
}

function collectFields(
  schema: Record<string, unknown>,
  path: string[],
  required: boolean,
  fields: TraitField[],
  fail: (reason: string) => never,
): void {
  const properties = schema.properties as Record<string, unknown>
  const requiredHere = Array.isArray(schema.required) ? schema.required : []
  for (const [key, property] of Object.entries(properties)) {
    if (!isObject(property)) continue
    const at = [...path, key]
    const isRequired = required && requiredHere.includes(key)
    if (property.type === 'object' && isObject(property.properties)) {
      collectFields(property, at, isRequired, fields, fail)
      continue
    }
    const type = property.type
    if (type !== 'string' && type !== 'number' && type !== 'integer' && type !== 'boolean') continue
    const extension = isObject(property[KRATOS]) ? property[KRATOS] : {}
    const credentials = isObject(extension.credentials) ? extension.credentials : {}
    const identifier = isObject(credentials.password) && credentials.password.identifier === true
    const via = (key: 'verification' | 'recovery'): boolean => {
      const value = extension[key]
      if (value === undefined) return false
      if (!isObject(value) || value.via !== 'email') {
        fail(`traits.${at.join('.')}: "${KRATOS}".${key}.via must be "email" (SMS is not supported)`)
      }
      return true
    }
    if (identifier && type !== 'string') fail(`traits.${at.join('.')}: a password identifier must be a string`)
    fields.push({
      name: `traits.${at.join('.')}`,
      path: at,
      type,
      format: typeof property.format === 'string' ? property.format : undefined,
      enum: Array.isArray(property.enum) ? property.enum : undefined,
      title: typeof property.title === 'string' ? property.title : undefined,
      required: isRequired,
      identifier,
      verification: via('verification'),
      recovery: via('recovery'),
    })
  }
}

/** The node an ajv error belongs on, and Kratos' message for it. */
function describeError(error: ErrorObject): { name: string; text: UiText } {
  const path = error.instancePath.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty
    return { name: [...path, missing].join('.'), text: traitMessage(error) }
  }
  return { name: path.join('.') || 'traits', text: traitMessage(error) }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
