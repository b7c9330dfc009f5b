import type { ErrorObject } from 'ajv'
import { texts, type UiText } from './texts.js'

/**
 * Kratos' message for one JSON-schema failure of the traits: the ids and texts of Kratos'
 * `text` package (4000002 required, 4000003/4000017 lengths, 4000018–4000026 numbers, items and
 * types, 4000029 const); formats, enums and anything else are 4000001 with the validator's reason,
 * as Kratos reports them.
 */
export function traitMessage(error: ErrorObject): UiText {
  const params = error.params as Record<string, unknown>
  const data = error.data
  switch (error.keyword) {
    case 'required':
      return texts.required(String(params.missingProperty))
    case 'format':
      return texts.invalidFormat(String(data), String(params.format))
    case 'minLength':
      return texts.minLength(Number(params.limit), [...String(data)].length)
    case 'maxLength':
      return texts.maxLength(Number(params.limit), [...String(data)].length)
    case 'pattern':
      return texts.pattern(String(params.pattern))
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum':
      return texts.bound(error.keyword, Number(params.limit), Number(data))
    case 'multipleOf':
      return texts.multipleOf(Number(params.multipleOf), Number(data))
    case 'minItems':
    case 'maxItems':
      return texts.items(error.keyword, Number(params.limit), Array.isArray(data) ? data.length : 0)
    case 'uniqueItems':
      return texts.uniqueItems(Number(params.j), Number(params.i))
    case 'type':
      return texts.wrongType(String(params.type).split(','), jsonType(data))
    case 'const':
      return texts.constant(params.allowedValue)
    case 'enum':
      return texts.generic(`value must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`)
    case 'additionalProperties':
      return texts.generic(`additionalProperties ${JSON.stringify(params.additionalProperty)} not allowed`)
    default:
      return texts.generic(error.message ?? `${error.keyword} failed`)
  }
}

/** The JSON type name of a value, as Kratos' validator names it. */
function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}
