import { ConfigError } from './errors.js'

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g

/**
 * Parses a Go-style duration (`500ms`, `30s`, `1m30s`, `12h`; `0` alone is allowed) into milliseconds,
 * the format `ory proxy` uses for `--api-key-expiry`.
 *
 * @example parseDuration('1m30s', '--upstream-timeout') // 90000
 */
export function parseDuration(text: string, name: string): number {
  const value = text.trim()
  if (value === '0') return 0
  if (value.startsWith('-')) throw new ConfigError(`${name} must not be negative, got "${text}"`)
  if (!DURATION.test(value)) {
    throw new ConfigError(`${name} must be a duration such as 500ms, 30s, 5m or 12h, got "${text}"`)
  }
  let total = 0
  for (const [, amount, unit] of value.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!
  return Math.round(total)
}
