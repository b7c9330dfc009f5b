import { readdirSync } from 'node:fs'

/**
 * Resolves once `condition()` holds, checking every 10 ms for at most `timeoutMs`; rejects with
 * `what` otherwise. For state that settles asynchronously after an event (sockets released),
 * never for readiness, which tests await directly.
 */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Open file descriptors of this process (Linux). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length
}
