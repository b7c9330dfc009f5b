import type { Command } from '@oclif/core/command'

/**
 * One of @oclif/plugin-autocomplete's commands (`index`, `script`), loaded from its file (the
 * package exports only its empty entry point). Registered as our own commands, it is loaded only
 * when run; as an oclif plugin it would be loaded on every start (oclif's Config.load went from
 * 36 to 42 ms of CPU, median of 31, against the commands registered here).
 */
export async function autocompleteCommand(name: 'index' | 'script'): Promise<Command.Class> {
  const entry = import.meta.resolve('@oclif/plugin-autocomplete')
  const module = (await import(new URL(`commands/autocomplete/${name}.js`, entry).href)) as { default: Command.Class }
  return module.default
}
