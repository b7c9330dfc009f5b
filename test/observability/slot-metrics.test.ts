import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Histogram, Registry } from 'prom-client'
import { SlotCounter, SlotHistogram } from '../../src/observability/slot-metrics.js'

const BUCKETS = [0.001, 0.01, 0.1, 1]
const OBSERVED: Array<[string, number]> = [['app', 0.0005], ['app', 0.001], ['app', 0.05], ['ory', 3], ['app', 0.1000001], ['ory', 0.01]]

test('a SlotHistogram exports what prom-client\'s Histogram exports for the same observations', async () => {
  const reference = new Registry()
  const histogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['route'], buckets: BUCKETS, registers: [reference] })
  const slots = new SlotHistogram({ name: 'h_seconds', help: 'h', buckets: BUCKETS, label: 'route', values: ['app', 'ory', 'jwks'] })
  const registry = new Registry()
  registry.registerMetric(slots as never)
  for (const [route, value] of OBSERVED) {
    histogram.observe({ route }, value)
    slots.observe(route === 'app' ? 0 : 1, value)
  }
  assert.equal(await registry.metrics(), await reference.metrics())
  // The JSON the cluster aggregation adds up: the same samples (prom-client adds an empty exemplar).
  const samples = async (from: Registry) =>
    (await from.getMetricsAsJSON())[0]!.values.map(({ labels, value, metricName }: { labels: object; value: number; metricName?: string }) => ({
      labels,
      value,
      metricName,
    }))
  assert.deepEqual(await samples(registry), await samples(reference))
})

test('a SlotCounter hands prom-client what each slot gained since the last scrape', async () => {
  const registry = new Registry()
  const counter = new SlotCounter({ name: 'c_total', help: 'c', labelNames: ['result'], registers: [registry] }, [{ result: 'hit' }, { result: 'miss' }])
  counter.add(0)
  counter.add(0)
  assert.match(await registry.metrics(), /^c_total\{result="hit"\} 2$/m)
  assert.doesNotMatch(await registry.metrics(), /miss/, 'a slot never added to is not exported')
  counter.add(1)
  counter.add(0)
  const text = await registry.metrics()
  assert.match(text, /^c_total\{result="hit"\} 3$/m)
  assert.match(text, /^c_total\{result="miss"\} 1$/m)
})
