/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/** Frame types and flags (RFC 9113 §6) the raw tests write. */
export const DATA = 0x0
export const HEADERS = 0x1
export const SETTINGS = 0x4
export const PING = 0x6
export const GOAWAY = 0x7
export const END_STREAM = 0x1
export const END_HEADERS = 0x4

/** GOAWAY's error code for a frame above the receiver's SETTINGS_MAX_FRAME_SIZE (RFC 9113 §7). */
export const FRAME_SIZE_ERROR = 0x6

/** The largest frame payload a peer accepts until it says otherwise (SETTINGS_MAX_FRAME_SIZE, RFC 9113 §4.2). */
export const DEFAULT_MAX_FRAME_SIZE = 16_384

/**
 * One frame as it goes on the wire (RFC 9113 §4.1), for frames Node's client would refuse to
 * send: a payload above the peer's SETTINGS_MAX_FRAME_SIZE, say.
 */
export function h2Frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9)
  head.writeUIntBE(payload.length, 0, 3)
  head[3] = type
  head[4] = flags
  head.writeUInt32BE(streamId, 5)
  return Buffer.concat([head, payload])
}

/**
 * A header block of literal fields without indexing or Huffman coding (RFC 7541 §6.2.2): what
 * HEADERS carries, for names and values under 127 bytes.
 */
export function literalHeaderBlock(fields: Readonly<Record<string, string>>): Buffer {
  const parts: Buffer[] = []
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from([0x00, name.length]), Buffer.from(name, 'latin1'), Buffer.from([value.length]), Buffer.from(value, 'latin1'))
  }
  return Buffer.concat(parts)
}

/** The complete frames in `bytes`, as a server sends them (no preface): type and payload each. */
export function readFrames(bytes: Buffer): Array<{ type: number; payload: Buffer }> {
  const frames: Array<{ type: number; payload: Buffer }> = []
  let at = 0
  while (at + 9 <= bytes.length) {
    const end = at + 9 + bytes.readUIntBE(at, 3)
    if (end > bytes.length) break
    frames.push({ type: bytes[at + 3]!, payload: bytes.subarray(at + 9, end) })
    at = end
  }
  return frames
}
