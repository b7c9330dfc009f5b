import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'
import { createDevCertificate } from '../../src/tls/dev-cert.js'
import { tempDir } from './temp-dir.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** A HOME without the Ory CLI's `~/.ory-cloud.json`, whose selected project would select an endpoint. */
const EMPTY_HOME = mkdtempSync(join(tmpdir(), 'ory-proxy-home-'))
process.on('exit', () => rmSync(EMPTY_HOME, { recursive: true, force: true }))

/** Variables of the machine that would change what a CLI run does (a forward proxy among them). */
const PROCESS_SETTINGS = new Set(['PORT', 'NODE_OPTIONS', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'])

/**
 * Env for black-box runs: the parent's, minus anything that would select an Ory endpoint, port or
 * forward proxy (`ORY_*`, `PORT`, `HTTP(S)_PROXY`, and the developer's own Ory CLI login in HOME).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of Object.keys(env)) {
    if (name.startsWith('ORY_') || PROCESS_SETTINGS.has(name.toUpperCase())) delete env[name]
  }
  return { ...env, HOME: EMPTY_HOME, ...extra }
}

/**
 * Runs `bin/run.js <args>` to completion (for commands that exit by themselves). Its stdin is a pipe
 * left open; `stdin` is written to it at once.
 */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 20_000, stdin = ''): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: cleanEnv(env), timeout: timeoutMs, cwd: ROOT }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: unknown }).code as number | null) : 0
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr })
    })
    if (stdin !== '') child.stdin!.write(stdin)
  })
}

export interface RunningCli {
  readonly child: ChildProcess
  stderr: string
  stdout: string
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>
}

/**
 * Spawns `bin/run.js <args>` and resolves once stderr contains `ready` (a string or pattern), so
 * tests never sleep for readiness. Killed after the test if still running. Its stdin is a pipe left
 * open, as under most process managers; `stdin` is written to it at once.
 */
export async function spawnCli(
  t: TestContext,
  args: string[],
  ready: string | RegExp,
  env: Record<string, string> = {},
  stdin = '',
): Promise<RunningCli> {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env), cwd: ROOT })
  if (stdin !== '') child.stdin!.write(stdin)
  const running: RunningCli = {
    child,
    stderr: '',
    stdout: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  }
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  child.stdout!.on('data', (data: Buffer) => (running.stdout += data.toString()))
  child.stderr!.on('data', (data: Buffer) => (running.stderr += data.toString()))
  await waitForStderr(running, ready)
  return running
}

/**
 * Resolves once everything the CLI has written to stderr so far contains `expected`; rejects if it
 * exits first. Output arrives in arbitrary chunks, so one `data` event proves nothing.
 */
export function waitForStderr(running: RunningCli, expected: string | RegExp): Promise<void> {
  const seen = () => (typeof expected === 'string' ? running.stderr.includes(expected) : expected.test(running.stderr))
  if (seen()) return Promise.resolve()
  const { child } = running
  return new Promise((resolve, reject) => {
    const onData = () => {
      if (!seen()) return
      stop()
      resolve()
    }
    const onExit = (code: number | null) => {
      stop()
      reject(new Error(`CLI exited with ${code} before printing ${expected}: ${running.stderr}`))
    }
    const stop = () => {
      child.stderr!.off('data', onData)
      child.off('exit', onExit)
    }
    child.stderr!.on('data', onData)
    child.on('exit', onExit)
  })
}

/**
 * A fresh development certificate for localhost, written to files removed after the test: `cert`
 * for clients to trust, `args` the `--tls-cert`/`--tls-key` flags that serve it.
 */
export function tlsArgs(t: TestContext): { cert: string; args: string[] } {
  const dir = tempDir(t)
  const { cert, key } = createDevCertificate()
  writeFileSync(join(dir, 'cert.pem'), cert)
  writeFileSync(join(dir, 'key.pem'), key)
  return { cert, args: ['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')] }
}

/** The `--debug` JSON events in what the CLI wrote to stderr, in order. */
export function debugEvents(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** Bad input: `bin/run.js <args>` prints one `ory-proxy: …` line matching `pattern`, no stack trace, and exits 2. */
export async function expectUsageError(args: string[], pattern: RegExp, env: Record<string, string> = {}): Promise<void> {
  const result = await runCli(args, env)
  assert.equal(result.code, 2, `exit code for ${args.join(' ')}: ${result.stderr}`)
  const lines = result.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `one line for ${args.join(' ')}, got:\n${result.stderr}`)
  assert.match(lines[0]!, /^ory-proxy: /)
  assert.match(lines[0]!, pattern)
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
}
