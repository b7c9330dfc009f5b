import type { TraitField } from './schema.js'
import { texts, type UiText } from './texts.js'

export type InputType = 'hidden' | 'text' | 'email' | 'password' | 'submit' | 'number' | 'checkbox' | 'date' | 'datetime-local' | 'url' | 'tel'
export type NodeGroup = 'default' | 'password' | 'profile' | 'code'

/** The optional attributes of an input node (Kratos' `UiNodeInputAttributes`). */
interface InputAttributes {
  readonly value?: unknown
  readonly required?: boolean
  readonly autocomplete?: string
  readonly pattern?: string
  readonly maxlength?: number
  /** An enum trait's allowed values (Kratos' `options`). */
  readonly options?: ReadonlyArray<{ readonly value: unknown }>
}

/** A Kratos UI node (`ui.nodes[]`); this server only renders inputs. */
export interface UiNode {
  readonly type: 'input'
  readonly group: NodeGroup
  readonly attributes: InputAttributes & { readonly name: string; readonly type: InputType; readonly disabled: false; readonly node_type: 'input' }
  readonly messages: readonly UiText[]
  readonly meta: { readonly label?: UiText }
}

export interface InputOptions extends InputAttributes {
  readonly label?: UiText
  readonly messages?: readonly UiText[]
}

/** One input node; attributes appear in Kratos' order and only when set. */
export function inputNode(group: NodeGroup, name: string, type: InputType, options: InputOptions = {}): UiNode {
  const { label, messages = [], ...attributes } = options
  const defined = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined))
  return {
    type: 'input',
    group,
    attributes: { name, type, ...defined, disabled: false, node_type: 'input' },
    messages,
    meta: label === undefined ? {} : { label },
  }
}

/** The anti-CSRF token as Kratos sends it: a hidden, required node of the default group ('' for API flows). */
export function csrfNode(token: string): UiNode {
  return inputNode('default', 'csrf_token', 'hidden', { value: token, required: true })
}

/** The input type Kratos renders for a trait. */
function inputTypeOf(field: TraitField): InputType {
  if (field.type === 'boolean') return 'checkbox'
  if (field.type === 'number' || field.type === 'integer') return 'number'
  switch (field.format) {
    case 'email':
      return 'email'
    case 'date':
      return 'date'
    case 'date-time':
      return 'datetime-local'
    case 'uri':
      return 'url'
    case 'tel':
      return 'tel'
    default:
      return 'text'
  }
}

/**
 * The schema's traits as form nodes (registration: group `default`; settings: `profile`), each
 * with its value, its messages, and a label generated from its `title` (1070002).
 */
export function traitNodes(
  fields: readonly TraitField[],
  group: NodeGroup,
  valueOf: (field: TraitField) => unknown,
  messages: Readonly<Record<string, readonly UiText[]>>,
): UiNode[] {
  return fields.map((field) =>
    inputNode(group, field.name, inputTypeOf(field), {
      value: valueOf(field) ?? (field.type === 'string' ? '' : undefined),
      required: field.required || undefined,
      autocomplete: field.identifier && field.format === 'email' ? 'email' : undefined,
      options: field.enum?.map((value) => ({ value })),
      label: texts.schemaLabel(field.title ?? field.path.at(-1)!, field.name),
      messages: messages[field.name] ?? [],
    }),
  )
}
