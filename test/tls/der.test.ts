import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bitString, boolean, explicit, implicitPrimitive, oid, sequence, time, tlv, unsignedInteger } from '../../src/tls/der.js'

const hex = (buffer: Buffer) => buffer.toString('hex')

test('lengths use the short form below 128 bytes and the long form above (X.690 §8.1.3)', () => {
  assert.equal(hex(tlv(0x04, Buffer.alloc(127))).slice(0, 4), '047f')
  assert.equal(hex(tlv(0x04, Buffer.alloc(128))).slice(0, 6), '048180')
  assert.equal(hex(tlv(0x04, Buffer.alloc(300))).slice(0, 8), '0482012c')
  assert.equal(tlv(0x04, Buffer.alloc(70_000)).length, 70_000 + 5)
})

test('object identifiers pack the first two arcs and encode the rest base-128', () => {
  // ecdsa-with-SHA256 and subjectAltName, as every X.509 parser expects them.
  assert.equal(hex(oid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302')
  assert.equal(hex(oid('2.5.29.17')), '0603551d11')
  assert.equal(hex(oid('1.3.6.1.5.5.7.3.1')), '06082b06010505070301')
})

test('integers are minimal and never negative', () => {
  assert.equal(hex(unsignedInteger(Buffer.from([2]))), '020102')
  assert.equal(hex(unsignedInteger(Buffer.from([0x80]))), '02020080')
  assert.equal(hex(unsignedInteger(Buffer.from([0, 0, 0x7f]))), '02017f')
  assert.equal(hex(unsignedInteger(Buffer.from([0]))), '020100')
})

test('times are UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
  assert.equal(time(new Date(Date.UTC(2049, 11, 31, 23, 59, 58))).toString('latin1'), '\x17\x0d491231235958Z')
  assert.equal(time(new Date(Date.UTC(2050, 0, 2, 3, 4, 5))).toString('latin1'), '\x18\x0f20500102030405Z')
})

test('booleans, bit strings, sequences and context tags', () => {
  assert.equal(hex(boolean(true)), '0101ff')
  assert.equal(hex(bitString(Buffer.from([0x80]), 7)), '03020780')
  assert.equal(hex(sequence()), '3000')
  assert.equal(hex(explicit(3, sequence())), 'a3023000')
  assert.equal(hex(implicitPrimitive(2, Buffer.from('localhost'))), '82096c6f63616c686f7374')
})
