import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** A bench role running as its own process, talked to over IPC. */
export interface Role {
  readonly pid: number
  /** The port it listens on (servers), 0 for the client. */
  readonly port: number
  /** Sends one message and resolves with the role's next one (bounded: `timeoutMs`). */
  ask<T>(message: unknown, timeoutMs?: number): Promise<T>
  /** Ends the process; resolved once it has exited. */
  stop(): Promise<void>
}

function nextMessage<T>(child: ChildProcess, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage)
      reject(new Error(`${what}: no answer in ${timeoutMs} ms`))
    }, timeoutMs)
    const onMessage = (message: T) => {
      clearTimeout(timer)
      resolve(message)
    }
    child.once('message', onMessage)
  })
}

/**
 * Starts `bench/roles/<file>` (TypeScript through tsx; `.mjs` plain, so nothing runs beside it)
 * and waits for its first message: `{ port }` from a server, `{ ready }` from the client.
 */
export async function startRole(file: string, args: readonly string[] = []): Promise<Role> {
  const path = fileURLToPath(new URL(`../roles/${file}`, import.meta.url))
  const child = fork(path, args, {
    execArgv: file.endsWith('.ts') ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const first = await Promise.race([
    nextMessage<{ port?: number }>(child, 20_000, file),
    exited.then(() => Promise.reject(new Error(`${file} exited before it was ready`))),
  ])
  return {
    pid: child.pid!,
    port: first.port ?? 0,
    ask: <T>(message: unknown, timeoutMs = 120_000) => {
      const answer = nextMessage<T>(child, timeoutMs, file)
      child.send(message as object)
      return answer
    },
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}
