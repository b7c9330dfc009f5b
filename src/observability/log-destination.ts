import { createRequire } from 'node:module'
import type { SonicBoom as SonicBoomType } from 'sonic-boom'

// A CommonJS module whose only export is the class (its named re-export is invisible to ESM).
const SonicBoom = createRequire(import.meta.url)('sonic-boom') as typeof SonicBoomType

/**
 * Lines held while stderr is not read fast enough; beyond this, new lines are dropped (and
 * counted) rather than held: a reader that stops costs log lines, never memory or requests.
 */
const MAX_BUFFERED_BYTES = 1024 * 1024
/**
 * Linux's PIPE_BUF. A write to a pipe of at most this many bytes is atomic: the lines of several
 * workers sharing one stderr never interleave within a line (sonic-boom batches whole lines up to
 * this size).
 */
const PIPE_BUF = 4096
/**
 * Lines are written once this much has gathered, or after {@link FLUSH_MS}: under load one write
 * carries some 60 text lines instead of one or two (each `fs.write` costs a thread-pool round trip
 * and the string's copy), and a quiet proxy's lines still show within a blink.
 */
const BATCH_BYTES = PIPE_BUF - 512
const FLUSH_MS = 50

/**
 * Where the request log goes: stderr (or any file descriptor), written asynchronously in batches by
 * pino's destination, sonic-boom (`fs.write` on the thread pool, never a blocking write on the
 * event loop), gathered into writes of up to 4 KiB or 50 ms.
 *
 * A reader that is slow or stops reading fills the pipe: the write fails with EAGAIN and is tried
 * again 100 ms later while new lines queue, up to 1 MiB, then are dropped. A reader that is gone
 * (EPIPE) drops every line from then on. Either way requests go on; `dropped` says how many lines
 * were lost.
 */
export class LogDestination {
  readonly #boom: SonicBoomType
  #dropped = 0
  /** The reader is gone (EPIPE, or another write error): lines are dropped. */
  #broken = false
  #closing: Promise<void> | undefined = undefined
  /** Closing waited long enough: a full pipe is no longer retried. */
  #gaveUp = false

  constructor(fd = 2) {
    // Touching process.stderr makes libuv put a pipe on fd 2 in non-blocking mode (it is blocking
    // until then). A write to a full non-blocking pipe fails at once (EAGAIN, retried later); a
    // blocking one would hold a thread-pool thread, and the exit, until the reader read again.
    if (fd === 2) void process.stderr
    this.#boom = new SonicBoom({
      fd,
      sync: false,
      maxLength: MAX_BUFFERED_BYTES,
      maxWrite: PIPE_BUF,
      minLength: BATCH_BYTES,
      periodicFlush: FLUSH_MS,
      retryEAGAIN: () => !this.#gaveUp,
    })
    this.#boom.on('drop', () => this.#dropped++)
    this.#boom.on('error', () => {
      this.#broken = true
      if (this.#closing !== undefined) this.#boom.destroy()
    })
  }

  /** Queues one line (it ends with `\n`); dropped when the reader is gone or too far behind. */
  write(line: string): void {
    if (this.#broken || this.#closing !== undefined) this.#dropped++
    else this.#boom.write(line)
  }

  /** Lines lost so far (reader too slow or gone). */
  get dropped(): number {
    return this.#dropped
  }

  /**
   * Writes what is queued, waiting at most `deadlineMs` for a slow reader, then drops the rest:
   * a stderr nobody reads never holds the exit.
   */
  close(deadlineMs = 1_000): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const boom = this.#boom
      const timer = setTimeout(() => {
        this.#gaveUp = true
        boom.destroy()
        resolve()
      }, deadlineMs)
      boom.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      if (this.#broken) boom.destroy()
      else boom.end()
    })
    return this.#closing
  }
}
