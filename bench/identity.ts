/**
 * Built-in identity server figures for the README, against the built CLI as a process (run
 * `npm run build` first):
 * - start-up to the ready line with `--sdk-url` and with the built-in server (median of RUNS,
 *   interleaved);
 * - a registration and a login as an SPA does them through the proxy (flow + submit, JSON), median
 *   and p95 of FLOWS sequential ones: what a sign-up costs, scrypt included.
 *
 *   node --import tsx bench/identity.ts
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { percentile, startQuiet } from './lib/cli-process.js'

const RUNS = 7
const FLOWS = 40

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

interface Flow {
  readonly ui: { readonly action: string; readonly nodes: Array<{ attributes: { name: string; value?: string } }> }
}

/** One flow as an SPA runs it through the proxy: init with JSON, then submit; returns ms. */
async function runFlow(base: string, kind: 'registration' | 'login', fields: Record<string, unknown>): Promise<number> {
  const began = performance.now()
  const init = await request(`${base}/.ory/self-service/${kind}/browser`, { headers: { accept: 'application/json' } })
  const cookie = ([] as string[]).concat(init.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ')
  const flow = (await init.body.json()) as Flow
  const csrf = flow.ui.nodes.find((n) => n.attributes.name === 'csrf_token')?.attributes.value
  const action = flow.ui.action.replace(/^http:\/\/localhost:/, 'http://127.0.0.1:')
  const done = await request(action, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', cookie },
    body: JSON.stringify({ method: 'password', csrf_token: csrf, password: 'correct horse battery', ...fields }),
  })
  await done.body.dump()
  if (done.statusCode !== 200) throw new Error(`${kind} answered ${done.statusCode}`)
  return performance.now() - began
}

const app = http.createServer((_req, res) => res.end('ok'))
const appUrl = await listen(app)
const fakeOry = http.createServer((_req, res) => res.end('{}'))
const oryUrl = await listen(fakeOry)

const withSdkUrl: number[] = []
const builtIn: number[] = []
for (let run = 0; run < RUNS; run++) {
  for (const [args, into] of [
    [[appUrl, '--sdk-url', oryUrl, '--no-jwt'], withSdkUrl],
    [[appUrl, '--no-jwt'], builtIn],
  ] as const) {
    const proxy = await startQuiet(args)
    into.push(proxy.readyMs)
    await proxy.stop()
  }
}

const proxy = await startQuiet([appUrl])
const base = `http://127.0.0.1:${proxy.port}`
const registrations: number[] = []
const logins: number[] = []
for (let i = 0; i < FLOWS; i++) registrations.push(await runFlow(base, 'registration', { traits: { email: `bench${i}@example.org` } }))
for (let i = 0; i < FLOWS; i++) logins.push(await runFlow(base, 'login', { identifier: `bench${i}@example.org` }))
await proxy.stop()
app.close()
fakeOry.close()

const ms = (value: number) => `${Math.round(value)} ms`
console.log(`ready line, --no-jwt, median of ${RUNS}: --sdk-url ${ms(percentile(withSdkUrl, 0.5))}, built-in identity server ${ms(percentile(builtIn, 0.5))}`)
console.log(`registration through the proxy (flow + submit, JSON), ${FLOWS} sequential: median ${ms(percentile(registrations, 0.5))}, p95 ${ms(percentile(registrations, 0.95))}`)
console.log(`login through the proxy (flow + submit, JSON), ${FLOWS} sequential: median ${ms(percentile(logins, 0.5))}, p95 ${ms(percentile(logins, 0.95))}`)
