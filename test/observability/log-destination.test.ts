import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { closeSync, constants, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { LogDestination } from '../../src/observability/log-destination.js'
import { tempDir } from '../helpers/temp-dir.js'

interface Fifo {
  /** The read end, for the test (non-blocking). */
  readonly reader: number
  /** The write end, for the destination. */
  readonly writer: number
  /** The reader goes away: writes fail with EPIPE from then on. */
  closeReader(): void
}

/** A real pipe (a FIFO); the read end is closed after the test. */
function fifo(t: TestContext): Fifo {
  const path = join(tempDir(t), 'log.fifo')
  execFileSync('mkfifo', [path])
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK)
  let readerOpen = true
  const closeReader = () => {
    if (readerOpen) closeSync(reader)
    readerOpen = false
  }
  // The write end is closed by the destination's close() (it closes every descriptor but stdout
  // and stderr); closing it here again could close a descriptor reused since.
  t.after(closeReader)
  return { reader, writer, closeReader }
}

function drainText(fd: number): string {
  const chunks: Buffer[] = []
  const buffer = Buffer.alloc(65_536)
  for (;;) {
    try {
      const n = readSync(fd, buffer)
      if (n === 0) break
      chunks.push(Buffer.from(buffer.subarray(0, n)))
    } catch {
      break
    }
  }
  return Buffer.concat(chunks).toString()
}

test('lines reach a reader whole and in order', async (t) => {
  const { reader, writer } = fifo(t)
  const destination = new LogDestination(writer)
  for (let i = 0; i < 100; i++) destination.write(`line ${i}\n`)
  await destination.close()
  const text = drainText(reader)
  assert.deepEqual(text.trimEnd().split('\n'), Array.from({ length: 100 }, (_, i) => `line ${i}`))
  assert.equal(destination.dropped, 0)
})

test('a reader that stops: writing never blocks, lines beyond the 1 MiB queue are dropped and counted, close gives up after its deadline', async (t) => {
  const { writer } = fifo(t)
  const destination = new LogDestination(writer)
  const line = `${'x'.repeat(999)}\n`
  const began = performance.now()
  // 3 MB into a 64 KiB pipe nobody reads.
  for (let i = 0; i < 3_000; i++) destination.write(line)
  assert.ok(performance.now() - began < 500, 'the writes returned at once')
  assert.ok(destination.dropped > 1_500 && destination.dropped < 3_000, `${destination.dropped} dropped`)
  const closing = performance.now()
  await destination.close(200)
  assert.ok(performance.now() - closing < 1_000, 'close gave up on the full pipe')
  destination.write('after close\n')
})

test('a reader that is gone (EPIPE): lines are dropped, nothing throws', async (t) => {
  const pipe = fifo(t)
  const destination = new LogDestination(pipe.writer)
  destination.write('first\n')
  // Lines go out in batches, at the latest 50 ms after they were written.
  await sleep(150)
  assert.equal(drainText(pipe.reader), 'first\n')
  pipe.closeReader()
  destination.write('into the void\n')
  await sleep(150)
  for (let i = 0; i < 10; i++) destination.write(`line ${i}\n`)
  assert.ok(destination.dropped >= 10, `${destination.dropped} dropped`)
  await destination.close(200)
})
