import * as Flags from '@oclif/core/flags'
import type * as Interfaces from '@oclif/core/interfaces'
import type { FlagSpec } from '../start-flags.js'
import { shown } from './shown-default.js'

/** A table of flag specs as oclif flags (so `--help`, the manifest and the README come from the same table). */
export function oclifFlags<T extends Readonly<Record<string, FlagSpec>>>(specs: T): { [K in keyof T]: Interfaces.Flag<unknown> } {
  const flags: Record<string, Interfaces.Flag<unknown>> = {}
  for (const [name, spec] of Object.entries(specs)) flags[name] = oclifFlag(spec) as Interfaces.Flag<unknown>
  return flags as { [K in keyof T]: Interfaces.Flag<unknown> }
}

function oclifFlag(spec: FlagSpec): unknown {
  const common = {
    summary: spec.summary,
    ...(spec.env === undefined ? {} : { env: spec.env }),
    ...(spec.char === undefined ? {} : { char: spec.char }),
    ...(spec.shownDefault === undefined ? {} : { defaultHelp: shown(spec.shownDefault) }),
  }
  switch (spec.kind) {
    case 'boolean':
      return Flags.boolean({ ...common, default: spec.default === true, ...(spec.allowNo ? { allowNo: true } : {}) })
    case 'integer':
      return Flags.integer({
        ...common,
        ...(spec.default === undefined ? {} : { default: spec.default as number }),
        ...(spec.min === undefined ? {} : { min: spec.min }),
        ...(spec.max === undefined ? {} : { max: spec.max }),
      })
    default:
      return Flags.string({
        ...common,
        ...(spec.default === undefined ? {} : { default: spec.default as string }),
        // One value per use of the flag, as `ory proxy` (pflag) takes it: oclif's greedy default
        // would swallow the publish-url after `--allowed-cors-origins https://a.example`.
        ...(spec.multiple ? { multiple: true as const, multipleNonGreedy: true } : {}),
        ...(spec.options === undefined ? {} : { options: [...spec.options] }),
        ...(spec.helpValue === undefined ? {} : { helpValue: spec.helpValue }),
      } as Parameters<typeof Flags.string>[0])
  }
}
