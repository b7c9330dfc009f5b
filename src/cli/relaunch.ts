import { spawn } from 'node:child_process'
import { hasNodeFlags, withNodeFlags } from '../node-flags.js'

/** Signals a relaunched proxy gets from its launcher (SIGINT only off a terminal: see below). */
const FORWARDED = ['SIGTERM', 'SIGHUP'] as const

/**
 * `node bin/run.js start …` (or any launch whose node lacks {@link NODE_FLAGS}) runs `start` again
 * in a node that has them: on Node ≥ 22.15 by `process.execve` (the same process, pid and
 * terminal), on older ones as a child whose exit code and signals become this process's. Returns
 * false when nothing is to be done (another command, or the flags are there: the shebang or `npm
 * start` gave them), so the caller runs the CLI itself. Costs one node start-up.
 */
export function relaunchWithNodeFlags(argv: readonly string[] = process.argv): boolean {
  if (argv[2] !== 'start' || hasNodeFlags()) return false
  const args = [...withNodeFlags(process.execArgv), ...argv.slice(1)]
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve
  if (typeof execve === 'function' && process.platform !== 'win32') execve(process.execPath, [process.execPath, ...args], process.env)
  const child = spawn(process.execPath, args, { stdio: 'inherit' })
  const forward = (signal: NodeJS.Signals) => child.kill(signal)
  for (const signal of FORWARDED) process.on(signal, forward)
  // A terminal's Ctrl-C reaches the whole foreground process group, the child too; passing it on
  // as well would be a second SIGINT, which makes `start` stop at once instead of draining.
  // Elsewhere (a supervisor, a test, `kill -INT <pid>`) only this process hears it.
  process.on('SIGINT', () => {
    if (!process.stdin.isTTY) child.kill('SIGINT')
  })
  child.on('exit', (code, signal) => {
    for (const name of FORWARDED) process.off(name, forward)
    if (signal !== null) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
    } else {
      process.exitCode = code ?? 1
    }
  })
  return true
}
