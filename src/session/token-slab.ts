/** A token takes the smallest multiple of this many bytes that holds it. */
const GRAIN = 64
/** Each size class grows by pages of about this many bytes: one allocation each, outside the JS heap. */
const PAGE_BYTES = 256 * 1024

/** The slots of one size: pages of equal slots, and the numbers of the free ones. */
interface SizeClass {
  readonly slotBytes: number
  readonly slotsPerPage: number
  readonly pages: Buffer[]
  readonly free: number[]
  /** Slots handed out so far, free ones included: the next new slot's number. */
  used: number
}

/**
 * The cached tokens' bytes, outside the JS heap. A 1.8 KB token as a JS string is a heap object
 * V8 keeps with its garbage and headroom (RSS about 3.5 KB per cached session with 100,000 of them);
 * here it takes its size rounded up to 64 bytes in a page of equal slots, so RSS follows the tokens
 * held. Reading one back makes a string (a copy, about a microsecond for 1.8 KB): once per request
 * that sends it. Tokens are ASCII (`Bearer ` and base64url), so latin1 holds them byte for byte.
 * Pages are kept once made: the cache's own bound (entries) bounds them.
 */
export class TokenSlab {
  readonly #classes: Array<SizeClass | undefined> = []
  #bytes = 0

  /** Copies `token` in; returns its slot, which {@link read} and {@link release} take with the token's length. */
  store(token: string): number {
    const size = this.#classOf(token.length)
    const slot = size.free.pop() ?? size.used++
    const page = Math.floor(slot / size.slotsPerPage)
    if (page === size.pages.length) {
      size.pages.push(Buffer.allocUnsafeSlow(size.slotsPerPage * size.slotBytes))
      this.#bytes += size.slotsPerPage * size.slotBytes
    }
    size.pages[page]!.write(token, (slot % size.slotsPerPage) * size.slotBytes, 'latin1')
    return slot
  }

  /** The token of `length` characters kept in `slot`. */
  read(slot: number, length: number): string {
    const size = this.#classes[classIndex(length)]!
    const start = (slot % size.slotsPerPage) * size.slotBytes
    return size.pages[Math.floor(slot / size.slotsPerPage)]!.toString('latin1', start, start + length)
  }

  /** Frees `slot` (of a token of `length` characters) for the next token of its size. */
  release(slot: number, length: number): void {
    this.#classes[classIndex(length)]!.free.push(slot)
  }

  /** Bytes of the pages made so far. */
  get bytes(): number {
    return this.#bytes
  }

  #classOf(length: number): SizeClass {
    const index = classIndex(length)
    let size = this.#classes[index]
    if (size === undefined) {
      const slotBytes = index * GRAIN
      size = { slotBytes, slotsPerPage: Math.max(1, Math.floor(PAGE_BYTES / slotBytes)), pages: [], free: [], used: 0 }
      this.#classes[index] = size
    }
    return size
  }
}

/** The size class of a token of `length` bytes: slots of `index × GRAIN` bytes. */
function classIndex(length: number): number {
  return Math.max(1, Math.ceil(length / GRAIN))
}
