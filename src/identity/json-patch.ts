/**
 * JSON Patch (RFC 6902) over plain JSON values, as Kratos' `patchIdentity` takes it: `add`,
 * `remove`, `replace`, `move`, `copy` and `test`, with JSON Pointers (RFC 6901). The document is
 * not changed; the patched copy is returned, or the reason the patch does not apply (then nothing
 * of it applies: RFC 6902 §5).
 *
 * Written here because the one maintained library, fast-json-patch 3.1.1, throws a TypeError for a
 * `move` into the value's own child (RFC 6902 §4.4 forbids it; tried on 2026-11-30).
 */
export type PatchResult = { readonly value: unknown } | { readonly error: string }

type Container = Record<string, unknown> | unknown[]

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test'])

export function applyJsonPatch(document: unknown, patch: unknown): PatchResult {
  if (!Array.isArray(patch)) return { error: 'a JSON Patch is an array of operations' }
  let doc = structuredClone(document)
  for (const [index, raw] of patch.entries()) {
    const at = `operation ${index}`
    if (typeof raw !== 'object' || raw === null) return { error: `${at} is not an object` }
    const { op, path, from, value } = raw as { op?: unknown; path?: unknown; from?: unknown; value?: unknown }
    if (typeof op !== 'string' || !OPS.has(op)) return { error: `${at}: op must be one of ${[...OPS].join(', ')}` }
    const target = pointer(path)
    if (target === undefined) return { error: `${at}: path must be a JSON Pointer` }
    if ((op === 'add' || op === 'replace' || op === 'test') && !('value' in (raw as object))) return { error: `${at}: ${op} needs a value` }
    let result: { doc: unknown } | string
    switch (op) {
      case 'add':
        result = add(doc, target, structuredClone(value))
        break
      case 'remove':
        result = remove(doc, target)
        break
      case 'replace': {
        const removed = remove(doc, target)
        result = typeof removed === 'string' ? removed : add(removed.doc, target, structuredClone(value))
        break
      }
      case 'move':
      case 'copy': {
        const source = pointer(from)
        if (source === undefined) return { error: `${at}: from must be a JSON Pointer` }
        if (op === 'move' && target.length > source.length && source.every((part, i) => target[i] === part)) {
          return { error: `${at}: cannot move a value into itself` }
        }
        const found = get(doc, source)
        if (found === MISSING) return { error: `${at}: nothing at ${String(from)}` }
        const removed = op === 'move' ? remove(doc, source) : { doc }
        result = typeof removed === 'string' ? removed : add(removed.doc, target, structuredClone(found))
        break
      }
      default: {
        const found = get(doc, target)
        result = found !== MISSING && deepEqual(found, value) ? { doc } : `test failed at ${String(path)}`
      }
    }
    if (typeof result === 'string') return { error: `${at}: ${result}` }
    doc = result.doc
  }
  return { value: doc }
}

const MISSING = Symbol('missing')

/** RFC 6901: `/a/b~1c/0` → ['a', 'b/c', '0']; '' is the whole document. */
function pointer(text: unknown): string[] | undefined {
  if (typeof text !== 'string' || (text !== '' && !text.startsWith('/'))) return undefined
  if (text === '') return []
  return text
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null
}

function arrayIndex(list: unknown[], part: string, forAdd: boolean): number | undefined {
  if (forAdd && part === '-') return list.length
  if (!/^(0|[1-9]\d*)$/.test(part)) return undefined
  const index = Number(part)
  return index < list.length + (forAdd ? 1 : 0) ? index : undefined
}

function get(doc: unknown, path: readonly string[]): unknown {
  let value = doc
  for (const part of path) {
    if (Array.isArray(value)) {
      const index = arrayIndex(value, part, false)
      if (index === undefined) return MISSING
      value = value[index]
    } else if (isContainer(value) && Object.hasOwn(value, part)) {
      value = (value as Record<string, unknown>)[part]
    } else return MISSING
  }
  return value
}

function add(doc: unknown, path: readonly string[], value: unknown): { doc: unknown } | string {
  if (path.length === 0) return { doc: value }
  const parent = get(doc, path.slice(0, -1))
  const last = path.at(-1)!
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, last, true)
    if (index === undefined) return `index ${last} is out of range`
    parent.splice(index, 0, value)
  } else if (isContainer(parent)) {
    ;(parent as Record<string, unknown>)[last] = value
  } else return `nothing to add to at /${path.slice(0, -1).join('/')}`
  return { doc }
}

function remove(doc: unknown, path: readonly string[]): { doc: unknown } | string {
  if (path.length === 0) return 'cannot remove the whole document'
  const parent = get(doc, path.slice(0, -1))
  const last = path.at(-1)!
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, last, false)
    if (index === undefined) return `index ${last} is out of range`
    parent.splice(index, 1)
  } else if (isContainer(parent) && Object.hasOwn(parent, last)) {
    delete (parent as Record<string, unknown>)[last]
  } else return `nothing at /${path.join('/')}`
  return { doc }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) return false
  const keysA = Object.keys(a)
  const keysB = Object.keys(b)
  return keysA.length === keysB.length && keysA.every((key) => Object.hasOwn(b, key) && deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
}
