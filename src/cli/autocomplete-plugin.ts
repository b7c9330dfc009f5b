import type { Command } from '@oclif/core/command'
import type { Input, ParserOutput } from '@oclif/core/interfaces'

/** oclif's `FlagOutput` and `ArgOutput`, which its public types do not export. */
type Parsed = { [name: string]: any }

/**
 * One of @oclif/plugin-autocomplete's commands (`index`, `script`), loaded from its file (the
 * package exports only its empty entry point). Registered as our own commands, it is loaded only
 * when run; as an oclif plugin it would be loaded on every start (oclif's Config.load went from
 * 36 to 42 ms of CPU, median of 31, against the commands registered here).
 */
export async function autocompleteCommand(name: 'index' | 'script'): Promise<Command.Class> {
  const entry = import.meta.resolve('@oclif/plugin-autocomplete')
  const module = (await import(new URL(`commands/autocomplete/${name}.js`, entry).href)) as { default: Command.Class }
  return argumentsFromArgvOnly(module.default)
}

/**
 * `plugin` with its arguments taken from the command line only, as `start`'s are: oclif otherwise
 * reads a missing argument from a stdin that is not a terminal (waiting up to 10 ms), so
 * `echo zsh | ory-proxy autocomplete` set up zsh. The plugin's `run` parses with its own class
 * (`this.parse(Index)`), so `parse` puts this one in its place.
 */
function argumentsFromArgvOnly(plugin: Command.Class): Command.Class {
  const args = Object.fromEntries(Object.entries(plugin.args ?? {}).map(([key, arg]) => [key, { ...arg, ignoreStdin: true }]))
  const Plugin = plugin as unknown as abstract new (...params: ConstructorParameters<Command.Class>) => Command
  abstract class ArgvOnly extends Plugin {
    static args = args
    // Its own, so oclif's manifest, which copies a subclass's statics into a plain object, keeps it.
    static strict = plugin.strict

    protected override parse<F extends Parsed, B extends Parsed, A extends Parsed>(
      options?: Input<F, B, A>,
      argv?: string[],
    ): Promise<ParserOutput<F, B, A>> {
      return super.parse((options as unknown) === plugin ? (ArgvOnly as unknown as Input<F, B, A>) : options, argv)
    }
  }
  return ArgvOnly as unknown as Command.Class
}
