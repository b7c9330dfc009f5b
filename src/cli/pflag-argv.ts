import type { FlagSpec } from '../start-flags.js'

/** What strconv.ParseBool takes, and so pflag after `--switch=`. */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False'])

/** A token that names a known flag: which flag, and the value given with `=`, if any. */
interface FlagToken {
  readonly name: string
  readonly spec: FlagSpec
  readonly value: string | undefined
  /** `--no-<name>` of a switch that has that form. */
  readonly negated: boolean
}

/** A flag on the command line: where it starts, how many tokens it spans, what oclif gets instead. */
interface Occurrence {
  readonly at: number
  readonly tokens: number
  readonly name: string
  readonly replacement: readonly string[]
}

/**
 * The command line as `ory proxy` (pflag) reads it, rewritten into what oclif reads the same way:
 * - `--switch=true` becomes `--switch`, and `--switch=false` becomes `--no-switch`, or nothing for
 *   a switch that is off unless given (pflag's only way to turn off `--dev`, whose default is on,
 *   is `--dev=false`; oclif would take the `false` for an argument);
 * - of a flag given more than once that takes one value, the last counts, as in pflag (oclif
 *   refuses the repeat): scripts append their overrides to a shared set of flags.
 * Tokens after `--`, unknown flags and values that are no boolean are left for oclif to judge.
 */
export function pflagArgv(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>): string[] {
  const byChar = new Map(Object.entries(specs).flatMap(([name, spec]) => (spec.char === undefined ? [] : [[spec.char, name] as const])))
  const found: Occurrence[] = []
  for (let at = 0; at < argv.length && argv[at] !== '--'; at++) {
    const token = argv[at]!
    const flag = flagToken(token, specs, byChar)
    if (flag === undefined) continue
    if (flag.spec.kind === 'boolean') {
      found.push({ at, tokens: 1, name: flag.name, replacement: switchTokens(flag, token) })
    } else {
      const tokens = flag.value === undefined ? 2 : 1
      if (flag.spec.multiple !== true) found.push({ at, tokens, name: flag.name, replacement: argv.slice(at, at + tokens) })
      at += tokens - 1
    }
  }
  const lastAt = new Map(found.map((occurrence) => [occurrence.name, occurrence.at]))
  const byStart = new Map(found.map((occurrence) => [occurrence.at, occurrence]))
  const result: string[] = []
  for (let at = 0; at < argv.length; at++) {
    const occurrence = byStart.get(at)
    if (occurrence === undefined) {
      result.push(argv[at]!)
      continue
    }
    if (lastAt.get(occurrence.name) === at) result.push(...occurrence.replacement)
    at += occurrence.tokens - 1
  }
  return result
}

function flagToken(token: string, specs: Readonly<Record<string, FlagSpec>>, byChar: ReadonlyMap<string, string>): FlagToken | undefined {
  const match = /^(?:--([a-z][a-z0-9-]*)|-([a-z]))(?:=(.*))?$/s.exec(token)
  if (match === null) return undefined
  const written = match[1] ?? byChar.get(match[2]!)
  if (written === undefined) return undefined
  const spec = specs[written]
  if (spec !== undefined) return { name: written, spec, value: match[3], negated: false }
  const name = written.replace(/^no-/, '')
  const negatable = specs[name]
  return name !== written && negatable?.allowNo === true ? { name, spec: negatable, value: match[3], negated: true } : undefined
}

/** What oclif gets for a switch written `token`: `=true`/`=false` spelled its way, anything else as it was. */
function switchTokens(flag: FlagToken, token: string): readonly string[] {
  if (flag.value === undefined || flag.negated) return [token]
  if (TRUE.has(flag.value)) return [`--${flag.name}`]
  if (FALSE.has(flag.value)) return flag.spec.allowNo === true ? [`--no-${flag.name}`] : []
  return [token]
}
