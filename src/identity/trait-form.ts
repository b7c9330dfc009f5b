import type { SubmittedForm } from './exchange.js'
import type { IdentitySchema, TraitField } from './schema.js'
import { valueAt } from './schema.js'

/** Numbers as a form sends them: an optional sign, digits, an optional fraction and exponent. */
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/**
 * The traits a registration or settings submission carries. JSON bodies send them as Kratos'
 * SDKs do, one `traits` object, taken as it is (unknown keys then meet the schema's
 * `additionalProperties`). Forms send one field per trait (`traits.name.first=…`), strings that
 * become the schema's types: `true`/`on` and `false` for booleans, numbers for numbers; an empty
 * field counts as not sent, so a required one is reported missing.
 */
export function traitsFrom(schema: IdentitySchema, form: SubmittedForm): Record<string, unknown> {
  if (form.json !== undefined) {
    const traits = form.json.traits
    return typeof traits === 'object' && traits !== null && !Array.isArray(traits) ? structuredClone(traits as Record<string, unknown>) : {}
  }
  const traits: Record<string, unknown> = {}
  for (const field of schema.fields) {
    const text = form.get(field.name)
    if (text === undefined || text === '') continue
    setAt(traits, field.path, coerce(field, text))
  }
  return traits
}

/** What the form showed for each trait, to echo back after a failed submission (by node name). */
export function traitValues(schema: IdentitySchema, traits: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const field of schema.fields) {
    const value = valueAt(traits, field.path)
    if (value !== undefined) values[field.name] = value
  }
  return values
}

function coerce(field: TraitField, text: string): unknown {
  if (field.type === 'boolean') {
    if (text === 'true' || text === 'on' || text === '1') return true
    if (text === 'false' || text === '0') return false
    return text
  }
  if (field.type === 'number' || field.type === 'integer') return NUMBER.test(text.trim()) ? Number(text) : text
  return text
}

function setAt(object: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let target = object
  for (const part of path.slice(0, -1)) {
    const next = target[part]
    target = (typeof next === 'object' && next !== null ? next : (target[part] = {})) as Record<string, unknown>
  }
  target[path.at(-1)!] = value
}
