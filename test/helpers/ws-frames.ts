import { randomBytes } from 'node:crypto'

/** A client text frame (RFC 6455 §5.2: FIN, opcode 1, masked), for payloads under 126 bytes. */
export function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text)
  const mask = randomBytes(4)
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!))
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked])
}

/** Unmasked server frames in `data` with payloads under 126 bytes: opcode and text. */
export function serverFrames(data: Buffer): Array<{ opcode: number; text: string }> {
  const frames: Array<{ opcode: number; text: string }> = []
  let at = 0
  while (at + 2 <= data.length) {
    const length = data[at + 1]! & 0x7f
    frames.push({ opcode: data[at]! & 0x0f, text: data.subarray(at + 2, at + 2 + length).toString() })
    at += 2 + length
  }
  return frames
}
