import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { isProxyError } from '../../src/errors.js'
import { DUPLICATE, IdentityStore, withTraits, type IdentityRecord } from '../../src/identity/identity-store.js'
import { hashPassword } from '../../src/identity/password.js'
import { defaultIdentitySchema } from '../../src/identity/schema.js'

const schema = defaultIdentitySchema()

let hash: Promise<string> | undefined
const someHash = () => (hash ??= hashPassword('a long enough password'))

async function add(store: IdentityStore, email: string) {
  const now = Date.UTC(2026, 0, 1)
  const traits = { email }
  return store.create({ schemaId: 'default', passwordHash: await someHash(), ...withTraits(undefined, traits, schema.addressesOf(traits), now), now })
}

test('without a file, identities live in memory and an identifier is taken once', async () => {
  const store = await IdentityStore.open()
  assert.equal(store.path, undefined)
  const alice = (await add(store, 'Alice@Example.org')) as IdentityRecord
  assert.equal(store.findByIdentifier('alice@example.org')?.id, alice.id)
  assert.deepEqual(store.get(alice.id)?.traits, { email: 'Alice@Example.org' })
  assert.equal(await add(store, 'alice@example.org'), DUPLICATE)
  assert.equal(store.size, 1)
})

test('a missing store file is created at open (0600), and identities survive a restart', async (t) => {
  const file = join(tempDir(t), 'identities.json')
  const first = await IdentityStore.open(file)
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { version: 3, identities: [], sessions: [] })
  assert.equal(statSync(file).mode & 0o777, 0o600)
  const alice = (await add(first, 'alice@example.org')) as IdentityRecord
  await first.flush()

  const second = await IdentityStore.open(file)
  assert.deepEqual(second.findByIdentifier('alice@example.org'), alice)
  assert.equal(await add(second, 'alice@example.org'), DUPLICATE)
})

test('concurrent registrations all reach the file, which stays valid JSON with no temp files left', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'identities.json')
  const store = await IdentityStore.open(file)
  const emails = Array.from({ length: 40 }, (_, i) => `user${i}@example.org`)
  const results = await Promise.all([...emails, ...emails].map((email) => add(store, email)))
  assert.equal(results.filter((r) => r === DUPLICATE).length, emails.length, 'each address registers once')
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { identities: IdentityRecord[] }
  assert.deepEqual(saved.identities.map((i) => i.traits.email).sort(), [...emails].sort())
  assert.deepEqual(readdirSync(dir), ['identities.json'])
  const reopened = await IdentityStore.open(file)
  assert.equal(reopened.size, emails.length)
})

test('a store file that is not ours is refused with ERR_IDENTITY_STORE naming the file', async (t) => {
  const dir = tempDir(t)
  const cases: Array<[string, string, RegExp]> = [
    ['broken.json', '{"version":1,', /is not JSON/],
    ['other.json', '{"users":[]}', /is not an ory-proxy identity store/],
    ['bad-entry.json', '{"version":1,"identities":[{"id":"x"}]}', /identity #1 is malformed/],
    ['bad-entry-2.json', '{"version":2,"identities":[{"id":"x","traits":{}}]}', /identity #1 is malformed/],
  ]
  for (const [name, text, reason] of cases) {
    const file = join(dir, name)
    writeFileSync(file, text)
    await assert.rejects(IdentityStore.open(file), (error: unknown) => {
      assert.ok(isProxyError(error) && error.code === 'ERR_IDENTITY_STORE', String(error))
      assert.match(error.message, reason)
      assert.ok(error.message.includes(file))
      return true
    })
  }
})

test('a store in a directory that does not exist fails at open, not at the first sign-up', async (t) => {
  const file = join(tempDir(t), 'missing', 'identities.json')
  await assert.rejects(IdentityStore.open(file), (error: unknown) => isProxyError(error) && error.code === 'ERR_IDENTITY_STORE' && /cannot write/.test(error.message))
})

test('a failed write rejects with ERR_IDENTITY_STORE and takes the identity back out', async (t) => {
  const dir = tempDir(t)
  const folder = join(dir, 'data')
  mkdirSync(folder)
  const file = join(folder, 'identities.json')
  const store = await IdentityStore.open(file)
  // Replacing the folder by a file makes every later write fail, even for root.
  rmSync(folder, { recursive: true })
  writeFileSync(folder, 'not a folder')
  await assert.rejects(add(store, 'alice@example.org'), (error: unknown) => isProxyError(error) && error.code === 'ERR_IDENTITY_STORE')
  assert.equal(store.findByIdentifier('alice@example.org'), undefined)
  assert.equal(store.size, 0)
})
import { tempDir } from '../helpers/temp-dir.js'

test('a version 1 store (email identities) is read and written back as version 3', async (t) => {
  const file = join(tempDir(t), 'identities.json')
  const passwordHash = await someHash()
  const old = {
    id: '11111111-1111-4111-8111-111111111111',
    email: 'Old@Example.org',
    identifier: 'old@example.org',
    passwordHash,
    createdAt: '2026-01-01T00:00:00.000Z',
    addressIds: { verifiable: '22222222-2222-4222-8222-222222222222', recovery: '33333333-3333-4333-8333-333333333333' },
  }
  writeFileSync(file, JSON.stringify({ version: 1, identities: [old] }))
  const store = await IdentityStore.open(file)
  const record = store.findByIdentifier('old@example.org')
  assert.deepEqual(record?.traits, { email: 'Old@Example.org' })
  assert.equal(record?.passwordHash, passwordHash)
  assert.deepEqual(record?.verifiableAddresses.map((a) => [a.id, a.value, a.verified]), [[old.addressIds.verifiable, 'old@example.org', false]])
  assert.deepEqual(record?.recoveryAddresses.map((a) => a.id), [old.addressIds.recovery])
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { version: number }).version, 3)
})
