import { open, readFile, rename, unlink } from 'node:fs/promises'
import { ProxyError } from '../errors.js'

/**
 * One JSON file written atomically: the text goes to a temporary file in the same directory, is
 * flushed to disk, then renamed over the target (rename(2) is atomic), so a reader or a crash
 * sees the old file or the new one, never half of either. Concurrent saves are serialised and
 * coalesced: while one write runs, every later save shares the single next write, which takes a
 * fresh snapshot when it starts and so includes all of them.
 */
export class StoreFile {
  readonly path: string
  readonly #snapshot: () => string
  /** The last write in the chain, its failure already handled by its caller. */
  #tail: Promise<void> = Promise.resolve()
  /** A queued write that has not taken its snapshot yet; later saves share it. */
  #next: Promise<void> | undefined
  #sequence = 0

  /** `snapshot` renders the current state; it is called once per physical write. */
  constructor(path: string, snapshot: () => string) {
    this.path = path
    this.#snapshot = snapshot
  }

  /** The file's text, or undefined when it does not exist yet. */
  async read(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8')
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw storeError(`cannot read ${this.path}: ${(cause as Error).message}`, cause)
    }
  }

  /** Resolves once a write that includes every change made before this call is on disk. */
  save(): Promise<void> {
    if (this.#next !== undefined) return this.#next
    const next = this.#tail.then(() => {
      this.#next = undefined
      return this.#write(this.#snapshot())
    })
    this.#next = next
    this.#tail = next.catch(() => undefined)
    return next
  }

  /** Resolves when no write is running or queued (for a clean shutdown). */
  async idle(): Promise<void> {
    let tail: Promise<void>
    do {
      tail = this.#tail
      await tail
    } while (tail !== this.#tail)
  }

  async #write(text: string): Promise<void> {
    const temporary = `${this.path}.${process.pid}.${++this.#sequence}.tmp`
    try {
      // 0600: the file holds password hashes.
      const handle = await open(temporary, 'w', 0o600)
      try {
        await handle.writeFile(text)
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temporary, this.path)
    } catch (cause) {
      await unlink(temporary).catch(() => undefined)
      throw storeError(`cannot write ${this.path}: ${(cause as Error).message}`, cause)
    }
  }
}

export function storeError(message: string, cause?: unknown): ProxyError {
  return new ProxyError('ERR_IDENTITY_STORE', `--identity-store: ${message}`, { cause })
}
