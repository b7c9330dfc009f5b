/**
 * What one ES256 signature costs, as the signing threads make it (node:crypto `sign`, a P-256
 * `KeyObject`, P1363), back to back and after the thread waited the 5 ms that 200 signatures a
 * second leave between two: asleep (as a signing thread waits for its next task) and busy
 * spinning (a core that never went idle). The cache-off target (bench/README.md) sits beside those
 * 200 signatures a second; on a machine whose idle cores wake slowly, each of them costs several
 * times its back-to-back price. Wall µs per signature, p50 and p90, the median over ROUNDS
 * interleaved rounds of SAMPLES signatures per kind; bounded at about 15 s.
 *
 *   node --import tsx bench/signing-idle.ts
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { percentile } from './lib/cli-process.js'
import { TOKEN_BYTES } from './lib/scenarios.js'
import { median } from './lib/stats.js'

const ROUNDS = 5
const SAMPLES = 300
const GAP_MS = 5

/** The signing input of a bench token: all but `Bearer `, the `.` before the signature, and its 86 characters. */
const INPUT = Buffer.alloc(TOKEN_BYTES - 'Bearer '.length - 1 - 86, 'e')
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const signing = { key: privateKey, dsaEncoding: 'ieee-p1363' } as const

/** µs of one signature. */
function timedSignature(): number {
  const started = performance.now()
  sign('sha256', INPUT, signing)
  return (performance.now() - started) * 1000
}

function spin(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until);
}

/** Before each signature: nothing, a sleep, or a busy wait of the same length. */
const KINDS: Record<string, () => Promise<void> | void> = {
  'back to back': () => {},
  [`after ${GAP_MS} ms asleep`]: () => sleep(GAP_MS).then(() => {}),
  [`after ${GAP_MS} ms spinning`]: () => spin(GAP_MS),
}

for (let i = 0; i < 200; i++) timedSignature()
const rounds = new Map<string, Array<{ p50: number; p90: number }>>(Object.keys(KINDS).map((kind) => [kind, []]))
for (let round = 0; round < ROUNDS; round++) {
  for (const [kind, before] of Object.entries(KINDS)) {
    const samples: number[] = []
    for (let i = 0; i < SAMPLES; i++) {
      await before()
      samples.push(timedSignature())
    }
    rounds.get(kind)!.push({ p50: percentile(samples, 0.5), p90: percentile(samples, 0.9) })
  }
}
console.log(`Node ${process.version}, ES256 over ${INPUT.length} bytes, wall µs per signature, medians of ${ROUNDS} rounds`)
console.log('| kind | p50 | p90 |\n|---|---:|---:|')
for (const [kind, figures] of rounds) {
  console.log(`| ${kind} | ${median(figures.map((f) => f.p50)).toFixed(0)} | ${median(figures.map((f) => f.p90)).toFixed(0)} |`)
}
