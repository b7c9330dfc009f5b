import assert from 'node:assert/strict'
import { request } from 'undici'

/** One scrape of a Prometheus text exposition: samples by name, with their labels. */
export interface Scrape {
  readonly text: string
  /**
   * The value of the sample `name` whose labels include `labels` (the sum when several match);
   * 0 when none does (a counter not yet incremented).
   */
  value(name: string, labels?: Readonly<Record<string, string>>): number
  /** Whether a sample named `name` exists at all. */
  has(name: string): boolean
}

interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Parses the Prometheus text format (version 0.0.4) far enough for tests: names, labels, values. */
export function parseMetrics(text: string): Scrape {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = SAMPLE.exec(line)
    assert.ok(match, `a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, name, value] of (match[2] ?? '').matchAll(LABEL)) labels[name!] = value!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return {
    text,
    value: (name, wanted = {}) =>
      samples
        .filter((s) => s.name === name && Object.entries(wanted).every(([key, value]) => s.labels[key] === value))
        .reduce((sum, s) => sum + s.value, 0),
    has: (name) => samples.some((s) => s.name === name),
  }
}

/** GET `<base>/metrics`: asserts a 200 in the Prometheus text format and parses it. */
export async function scrape(base: string): Promise<Scrape> {
  const response = await request(`${base}/metrics`)
  const text = await response.body.text()
  assert.equal(response.statusCode, 200, text)
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/)
  return parseMetrics(text)
}

/** How much each of `samples` moved between two scrapes. */
export function moved(before: Scrape, after: Scrape, samples: ReadonlyArray<readonly [string, Readonly<Record<string, string>>?]>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [name, labels] of samples) {
    const key = labels === undefined ? name : `${name}${JSON.stringify(labels)}`
    out[key] = after.value(name, labels) - before.value(name, labels)
  }
  return out
}
