/**
 * The few DER encodings (ITU-T X.690) an X.509 certificate needs. Node can parse certificates
 * (`crypto.X509Certificate`) but not build them, and the proxy adds no npm package for that.
 * Every function returns one complete TLV (tag, length, value).
 */

/** A TLV with a definite length: short form below 128, else long form (X.690 §8.1.3). */
export function tlv(tag: number, value: Buffer): Buffer {
  const length = value.length
  let head: Buffer
  if (length < 0x80) {
    head = Buffer.from([tag, length])
  } else {
    const bytes: number[] = []
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
    head = Buffer.from([tag, 0x80 | bytes.length, ...bytes])
  }
  return Buffer.concat([head, value])
}

export function sequence(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items))
}

export function set(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(items))
}

/** A non-negative INTEGER from its big-endian magnitude, minimally encoded (X.690 §8.3.2). */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let start = 0
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++
  const trimmed = magnitude.subarray(start)
  // A set high bit would read as negative: prefix a zero byte.
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed)
}

export function boolean(value: boolean): Buffer {
  return tlv(0x01, Buffer.from([value ? 0xff : 0x00]))
}

/** An OBJECT IDENTIFIER from dotted text: first two arcs packed, the rest base-128 (X.690 §8.19). */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number)
  const bytes = [40 * arcs[0]! + arcs[1]!]
  for (const arc of arcs.slice(2)) {
    const groups = [arc & 0x7f]
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift(0x80 | (rest & 0x7f))
    bytes.push(...groups)
  }
  return tlv(0x06, Buffer.from(bytes))
}

export function utf8String(text: string): Buffer {
  return tlv(0x0c, Buffer.from(text, 'utf8'))
}

export function octetString(value: Buffer): Buffer {
  return tlv(0x04, value)
}

/** A BIT STRING of whole bytes, or with `unusedBits` trailing bits of the last byte unused. */
export function bitString(value: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), value]))
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always in UTC with seconds. */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear()
  const rest = [date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()]
    .map((part) => String(part).padStart(2, '0'))
    .join('')
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${String(year % 100).padStart(2, '0')}${rest}Z`, 'latin1'))
  return tlv(0x18, Buffer.from(`${String(year).padStart(4, '0')}${rest}Z`, 'latin1'))
}

/** `[n] EXPLICIT`: a constructed context-specific tag wrapping a complete TLV. */
export function explicit(n: number, inner: Buffer): Buffer {
  return tlv(0xa0 | n, inner)
}

/** `[n] IMPLICIT` on a primitive type: the value bytes under a context-specific tag. */
export function implicitPrimitive(n: number, value: Buffer): Buffer {
  return tlv(0x80 | n, value)
}
