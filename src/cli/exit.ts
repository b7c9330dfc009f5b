import * as Errors from '@oclif/core/errors'

/** Exit code for bad input and start-up failures, as for usage errors. */
export const EXIT_USAGE = 2

/**
 * Turns any error that ends a command into one line for stderr (no stack trace). oclif's parse
 * errors span several lines (`Parsing --port`, a tab-indented reason, a help hint); their lines are
 * joined and the hint dropped. oclif's exit requests pass through.
 */
export function failLine(error: unknown): string {
  if (error instanceof Errors.ExitError) throw error
  const message = error instanceof Error ? error.message : String(error)
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'See more help with --help')
  return `ory-proxy: ${lines.join(': ').replace(/:: /g, ': ') || 'failed'}`
}
