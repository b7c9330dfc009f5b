import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose'
import { request } from 'undici'
import { BIN, ROOT, cleanEnv, expectUsageError as expectCliUsageError, runCli, spawnCli } from '../helpers/cli.js'
import { startFakeOry } from '../helpers/ory.js'
import { tracedModules } from '../helpers/traced-modules.js'
import { freePort, startUpstream } from '../helpers/upstream.js'

const dir = mkdtempSync(join(tmpdir(), 'ory-proxy-cli-'))
const keyFile = join(dir, 'shared.jwk.json')
writeFileSync(keyFile, JSON.stringify({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'shared' }))

async function expectUsageError(args: string[], pattern: RegExp) {
  await expectCliUsageError(['start', 'http://127.0.0.1:9', '--sdk-url', 'http://127.0.0.1:9', '--port', String(await freePort()), ...args], pattern)
}

test('start --help lists the session flags with their defaults', async () => {
  const result = await runCli(['start', '--help'])
  assert.equal(result.code, 0)
  for (const flag of ['--jwk-file', '--session-cache-ttl', '--session-cache-size', '--whoami-timeout']) {
    assert.ok(result.stdout.includes(flag), `help lists ${flag}`)
  }
  assert.match(result.stdout, /--session-cache-ttl=<value>\s+\[default: 5s\]/)
  assert.match(result.stdout, /--whoami-timeout=<value>\s+\[default: 3s\]/)
})

test('bad session flags are one line on stderr and exit code 2, before anything starts', { concurrency: 4 }, async (t) => {
  const write = (name: string, content: unknown) => {
    const path = join(dir, name)
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
    return path
  }
  const { d: _d, ...publicOnly } = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
  const cases: Array<[string, string[], RegExp]> = [
    ['missing --jwk-file', ['--jwk-file', join(dir, 'missing.json')], /--jwk-file .*missing\.json cannot be read: ENOENT/],
    ['--jwk-file not JSON', ['--jwk-file', write('garbage.json', 'not json')], /is not JSON/],
    ['--jwk-file without a private key', ['--jwk-file', write('public.json', publicOnly)], /has no private key/],
    [
      '--jwk-file on P-384',
      ['--jwk-file', write('p384.json', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' }))],
      /must hold a P-256 EC key/,
    ],
    ['--session-cache-ttl not a duration', ['--session-cache-ttl', 'soon'], /--session-cache-ttl must be a duration/],
    ['--session-cache-ttl negative', ['--session-cache-ttl', '-5s'], /--session-cache-ttl must not be negative/],
    ['--session-cache-size 0', ['--session-cache-size', '0'], /session-cache-size/],
    ['--session-cache-size abc', ['--session-cache-size', 'abc'], /integer/i],
    ['--whoami-timeout 0', ['--whoami-timeout', '0'], /--whoami-timeout must be longer than 0/],
    ['--whoami-timeout bad', ['--whoami-timeout', '3 seconds'], /--whoami-timeout must be a duration/],
    ['--jwk-file with --no-jwt', ['--no-jwt', '--jwk-file', keyFile], /--jwk-file needs JWTs; remove it or --no-jwt/],
    ['--session-cache-ttl with --no-jwt', ['--no-jwt', '--session-cache-ttl', '1s'], /--session-cache-ttl needs JWTs/],
  ]
  await Promise.all(cases.map(([name, args, pattern]) => t.test(name, () => expectUsageError(args, pattern))))
})

/** Starts the real CLI in JWT mode in front of `app` and `ory`, returning its base URL. */
async function startCli(t: TestContext, app: string, ory: string, extra: string[] = []) {
  const port = await freePort()
  const cli = await spawnCli(t, ['start', app, '--sdk-url', ory, '--port', String(port), ...extra], 'listening on port')
  return { cli, url: `http://127.0.0.1:${port}` }
}

test('the CLI issues JWTs by default: banner says so, and the app gets a token that verifies against the JWKS', async (t) => {
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  const { cli, url } = await startCli(t, app.url, ory.url)
  assert.match(cli.stderr, /jwt: {2}on \(keys at http:\/\/localhost:\d+\/\.ory\/jwks\.json\)/)

  const jwks = (await (await request(`${url}/.ory/jwks.json`)).body.json()) as JSONWebKeySet
  const response = await request(`${url}/`, { headers: { cookie: 'ory_session_x=A', authorization: 'Bearer forged' } })
  const seen = (await response.body.json()) as { rawHeaders: string[] }
  const authorization = seen.rawHeaders.filter((_, i) => i % 2 === 1 && seen.rawHeaders[i - 1]!.toLowerCase() === 'authorization')
  assert.equal(authorization.length, 1)
  const { payload } = await jwtVerify(authorization[0]!.slice(7), createLocalJWKSet(jwks), { algorithms: ['ES256'], issuer: ory.url })
  assert.equal(payload.sub, 'identity-a')

  cli.child.kill('SIGTERM')
  assert.equal(await cli.exited, 0)
})

test('two proxies given the same --jwk-file publish the same key, so either verifies the other', async (t) => {
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  ory.addCookieSession('ory_session_x', 'A', 'identity-a')
  const one = await startCli(t, app.url, ory.url, ['--jwk-file', keyFile])
  const two = await startCli(t, app.url, ory.url, ['--jwk-file', keyFile])
  const jwksOne = await (await request(`${one.url}/.ory/jwks.json`)).body.text()
  const jwksTwo = await (await request(`${two.url}/.ory/proxy/jwks.json`)).body.text()
  assert.equal(jwksOne, jwksTwo)
  assert.equal((JSON.parse(jwksOne) as JSONWebKeySet).keys[0]!.kid, 'shared')
  assert.ok(!jwksOne.includes('"d"'))

  const seen = (await (await request(`${one.url}/`, { headers: { cookie: 'ory_session_x=A' } })).body.json()) as { rawHeaders: string[] }
  const token = seen.rawHeaders[seen.rawHeaders.findIndex((h) => h.toLowerCase() === 'authorization') + 1]!.slice(7)
  const { payload } = await jwtVerify(token, createLocalJWKSet(JSON.parse(jwksTwo) as JSONWebKeySet), { algorithms: ['ES256'] })
  assert.equal(payload.sub, 'identity-a')
})

test('--no-jwt loads neither jose nor piscina, asks no whoami, and proxies /.ory/jwks.json to Ory', async (t) => {
  const app = await startUpstream(t)
  const ory = await startFakeOry(t)
  const loaded = async (extra: string[]) => {
    const trace = join(dir, `trace-${extra.join('') || 'jwt'}.txt`)
    writeFileSync(trace, '')
    const port = await freePort()
    const hooks = new URL('../helpers/trace-imports.mjs', import.meta.url).href
    const child = spawn(
      process.execPath,
      ['--import', `data:text/javascript,import{register}from'node:module';register(${JSON.stringify(hooks)})`, BIN, 'start', app.url, '--sdk-url', ory.url, '--port', String(port), ...extra],
      { cwd: ROOT, env: cleanEnv({ ORY_PROXY_TRACE_FILE: trace }) },
    )
    t.after(() => child.kill('SIGKILL'))
    let stderr = ''
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (data: Buffer) => {
        stderr += data.toString()
        if (stderr.includes('listening on port')) resolve()
      })
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)))
    })
    const response = await request(`http://127.0.0.1:${port}/`, { headers: { cookie: 'ory_session_x=A', authorization: 'Bearer forged' } })
    const seen = (await response.body.json()) as { rawHeaders: string[] }
    const jwks = await request(`http://127.0.0.1:${port}/.ory/jwks.json`)
    await jwks.body.dump()
    child.kill('SIGTERM')
    const urls = tracedModules(trace).join('\n')
    return { urls, seen, jwksStatus: jwks.statusCode }
  }

  const jwt = await loaded([])
  // jose loads only inside the signing threads, which the trace does not follow.
  assert.match(jwt.urls, /node_modules\/piscina\//, 'the trace sees piscina when JWTs are on')
  assert.match(jwt.urls, /dist\/session\/gate\.js/)
  assert.doesNotMatch(jwt.urls, /dist\/identity\//, 'with --sdk-url the built-in identity server is never loaded')
  assert.doesNotMatch(jwt.urls, /node_modules\/ioredis\/|dist\/session\/redis-/, 'without --session-store the Redis client is never loaded')
  assert.equal(jwt.jwksStatus, 200)
  const calls = ory.whoamiCalls.length
  const requestsBefore = ory.requests.length

  const plain = await loaded(['--no-jwt'])
  assert.doesNotMatch(plain.urls, /node_modules\/(jose|piscina)\/|dist\/session\//)
  assert.equal(ory.whoamiCalls.length, calls, 'no whoami call with --no-jwt')
  assert.equal(plain.jwksStatus, 404, "Ory's own answer for /jwks.json")
  assert.deepEqual(ory.requests.slice(requestsBefore).map((r) => r.url), ['/jwks.json'])
  // Without JWTs the client's Authorization goes through as with ory proxy.
  assert.ok(plain.seen.rawHeaders.includes('Bearer forged'))
})
