import { createInterface } from 'node:readline/promises'

export interface ConfirmOptions {
  /** `-y/--yes`: every confirmation is answered yes without asking. */
  readonly yes: boolean
  /** `-q/--quiet`: never prompt. */
  readonly quiet: boolean
  readonly input: NodeJS.ReadableStream & { readonly isTTY?: boolean }
  readonly output: NodeJS.WritableStream
  /** Stops waiting for an answer (SIGINT while the question is open); the question then counts as yes. */
  readonly signal?: AbortSignal | undefined
}

/**
 * Asks a yes/no question on a terminal; anything but `n`/`no` is yes. Without a terminal, with
 * `--yes` or with `--quiet` it answers yes without asking, so CI never hangs on a prompt.
 */
export async function confirm(question: string, options: ConfirmOptions): Promise<boolean> {
  if (options.yes || options.quiet || options.input.isTTY !== true) return true
  const prompt = createInterface({ input: options.input, output: options.output, terminal: false })
  try {
    const answer = await new Promise<string>((resolve) => {
      prompt.once('close', () => resolve(''))
      prompt.question(`${question} [Y/n] `, { signal: options.signal }).then(resolve, () => resolve(''))
    })
    return !/^\s*no?\s*$/i.test(answer)
  } finally {
    prompt.close()
  }
}
