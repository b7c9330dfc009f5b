import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks'
import { getHeapStatistics, setFlagsFromString } from 'node:v8'

/**
 * The heap V8 may fill before a full collection, however small the live heap: 128 MiB.
 *
 * Each upstream read allocates a fresh 64 KiB buffer and in-flight requests survive young
 * collections, so with V8's default heap growth (1.1–4× the live heap of 10–20 MB) a proxy passing
 * large bodies runs a full mark-compact many times a second: 26–58 per 4 s at 64 KiB and 1 MiB
 * responses here. With the floor: 0 at 64 KiB and 4–9 at 1 MiB, and 10–35 % less CPU per request
 * (bench/README.md, issue 12).
 */
export const HEAP_FLOOR_BYTES = 128 * 1024 * 1024

/**
 * V8's `--heap-growing-percent` that puts the next full collection at `floorBytes` for a live heap
 * of `liveBytes`, or 0 (V8's own growth) once the live heap is half the floor or more, where V8's
 * factor reaches the floor by itself or the floor no longer matters.
 */
export function growingPercentFor(liveBytes: number, floorBytes: number = HEAP_FLOOR_BYTES): number {
  const factor = floorBytes / Math.max(liveBytes, 1)
  return factor > 2 ? Math.ceil((factor - 1) * 100) : 0
}

/**
 * Whether this V8 is one that starts a full collection each time external memory (the buffers
 * each upstream read allocates) grows 64 MB past what it was, whatever the heap floor: V8 13 and
 * later (Node 24, 26), where 64 KiB responses ran 29-35 full collections in 6 s here and a p99 of
 * 13-16 ms. Its `--external-memory-accounted-in-global-limit` counts that memory against the heap's
 * global limit instead, which the floor raises: 1 in 6 s, p99 7.7-8.5 ms. V8 12 (Node 22) and 11
 * (Node 20) have no such flag and collect those buffers in young collections (0 full ones).
 */
const EXTERNAL_MEMORY_IN_GLOBAL_LIMIT = Number(process.versions.v8.split('.')[0]) >= 13

function isFullCollection(entry: PerformanceEntry): boolean {
  return (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR
}

/**
 * Keeps {@link HEAP_FLOOR_BYTES} for this process: after each full collection, V8's heap growth is
 * set from the live heap it left. This is what `--initial-old-space-size` does, without being a
 * node command-line flag, which every launcher (`npx`, a global install, `node bin/run.js`,
 * cluster workers) would have to pass (`NODE_OPTIONS` refuses it). V8 reads the growth factor at
 * each collection, so setting it at run time takes effect.
 *
 * On V8 13 and later, external memory is also counted against that limit
 * ({@link EXTERNAL_MEMORY_IN_GLOBAL_LIMIT}).
 *
 * Both are first set at the first full collection, which a start-up rarely runs: changing a V8 flag
 * makes node compile the built-in modules it loads afterwards without their code cache (V8 keys
 * the cache to its flags; loading http2, tls, zlib and worker_threads took 20 ms instead of 7 here).
 * For the life of the process.
 */
export function keepHeapFloor(): void {
  let percent = 0
  let externalPending = EXTERNAL_MEMORY_IN_GLOBAL_LIMIT
  const observer = new PerformanceObserver((list) => {
    if (!list.getEntries().some(isFullCollection)) return
    if (externalPending) {
      externalPending = false
      setFlagsFromString('--external-memory-accounted-in-global-limit')
    }
    const next = growingPercentFor(getHeapStatistics().used_heap_size)
    if (next === percent) return
    percent = next
    setFlagsFromString(`--heap-growing-percent=${next}`)
  })
  observer.observe({ entryTypes: ['gc'] })
}
