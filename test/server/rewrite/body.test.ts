import assert from 'node:assert/strict'
import { test } from 'node:test'
import zlib from 'node:zlib'
import { isRewritable, replaceOrigin, rewriteBody, type BodyRule } from '../../../src/server/rewrite/body.js'

const rule: BodyRule = {
  search: Buffer.from('https://x.projects.oryapis.com'),
  replace: Buffer.from('http://localhost:4000/.ory'),
  maxBytes: 1024 * 1024,
}
const json = '{"action":"https://x.projects.oryapis.com/self-service/login?flow=1","ui":"https://x.projects.oryapis.com/ui"}'
const expected = '{"action":"http://localhost:4000/.ory/self-service/login?flow=1","ui":"http://localhost:4000/.ory/ui"}'

test('text types in identity, gzip, deflate and br are rewritable; others are not', () => {
  for (const type of ['text/html; charset=utf-8', 'application/json', 'application/problem+json', 'text/javascript', 'application/javascript', 'text/css', 'text/plain']) {
    assert.equal(isRewritable(type, undefined), true, type)
  }
  for (const encoding of ['gzip', 'deflate', 'br', 'identity']) assert.equal(isRewritable('text/html', encoding), true, encoding)
  assert.equal(isRewritable('image/png', undefined), false)
  assert.equal(isRewritable(undefined, undefined), false)
  assert.equal(isRewritable('text/html', 'zstd'), false)
  assert.equal(isRewritable('text/html', 'gzip, br'), false)
})

test('every occurrence is replaced in a plain body', async () => {
  assert.equal((await rewriteBody(Buffer.from(json), undefined, rule)).toString(), expected)
})

test('compressed bodies are decoded, rewritten and re-encoded in the same coding', async () => {
  const codecs = {
    gzip: [zlib.gzipSync, zlib.gunzipSync],
    deflate: [zlib.deflateSync, zlib.inflateSync],
    br: [zlib.brotliCompressSync, zlib.brotliDecompressSync],
  } as const
  for (const [coding, [encode, decode]] of Object.entries(codecs)) {
    const out = await rewriteBody(encode(Buffer.from(json)), coding, rule)
    assert.equal(decode(out).toString(), expected, coding)
  }
})

test('a body without the Ory URL comes back as the very same buffer', async () => {
  const body = zlib.gzipSync('nothing to see')
  assert.equal(await rewriteBody(body, 'gzip', rule), body)
})

test('a body that does not decode, or decodes past the bound, is refused (the caller passes it on)', async () => {
  await assert.rejects(rewriteBody(Buffer.from('not gzip'), 'gzip', rule))
  const bomb = zlib.gzipSync(Buffer.alloc(4 * 1024 * 1024, 'a'))
  await assert.rejects(rewriteBody(bomb, 'gzip', rule), /maxOutputLength|Cannot create a Buffer larger|buffer/i)
})

test('replaceOrigin handles adjacent and edge matches', () => {
  const out = replaceOrigin(Buffer.from('http://a/http://a?http://a'), Buffer.from('http://a'), Buffer.from('X'))
  assert.equal(out.toString(), 'X/X?X')
})

test('only whole origins are replaced: a longer port or host that merely starts with the Ory origin is kept', () => {
  const search = Buffer.from('http://127.0.0.1:4433')
  const replace = Buffer.from('http://localhost:4000/.ory')
  const text = 'a http://127.0.0.1:44331/x b http://127.0.0.1:4433.evil.example/ c http://127.0.0.1:4433/ok, see http://127.0.0.1:4433. d http://127.0.0.1:4433'
  assert.equal(
    replaceOrigin(Buffer.from(text), search, replace).toString(),
    'a http://127.0.0.1:44331/x b http://127.0.0.1:4433.evil.example/ c http://localhost:4000/.ory/ok, see http://localhost:4000/.ory. d http://localhost:4000/.ory',
  )
  const other = Buffer.from('only http://127.0.0.1:44330 here')
  assert.equal(replaceOrigin(other, search, replace), other, 'no whole occurrence: the same buffer')
  assert.equal(replaceOrigin(Buffer.from('https://x.projects.oryapis.com.evil.example'), rule.search, rule.replace).toString(), 'https://x.projects.oryapis.com.evil.example')
})
