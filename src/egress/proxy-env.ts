import { isIP } from 'node:net'
import { ConfigError } from '../errors.js'

/** The environment variables `ory proxy` (Go's `http.ProxyFromEnvironment`) reads, upper case first. */
type ProxyEnv = Readonly<Record<string, string | undefined>>

/**
 * The forward proxy a request to `target` must go through, from `HTTPS_PROXY` (https targets) or
 * `HTTP_PROXY` (http targets) and `NO_PROXY`, as Go's `ProxyFromEnvironment` decides it for
 * `ory proxy`: never for `localhost` or a loopback address, so a proxy set for the outside world
 * never catches the app on this machine. A proxy without a scheme is `http://`. Undefined: direct.
 */
export function egressProxyFor(target: URL, env: ProxyEnv = process.env): URL | undefined {
  const secure = target.protocol === 'https:'
  const name = secure ? 'HTTPS_PROXY' : 'HTTP_PROXY'
  const value = env[name] || env[name.toLowerCase()]
  if (!value) return undefined
  const hostname = bareHostname(target.hostname)
  if (isLoopback(hostname)) return undefined
  const port = target.port || (secure ? '443' : '80')
  if (bypassed(hostname, port, env.NO_PROXY || env.no_proxy || '')) return undefined
  return parseProxyUrl(value, name)
}

function parseProxyUrl(value: string, name: string): URL {
  let url: URL
  try {
    url = new URL(value.includes('://') ? value : `http://${value}`)
  } catch {
    throw new ConfigError(`$${name} must be a proxy URL such as http://proxy.example:3128, got "${value}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`$${name} must use http or https, got "${value}"`)
  }
  return url
}

function bareHostname(hostname: string): string {
  return (hostname.startsWith('[') ? hostname.slice(1, -1) : hostname).toLowerCase().replace(/\.$/, '')
}

function isLoopback(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true
  if (isIP(hostname) === 4) return hostname.startsWith('127.')
  return hostname === '::1'
}

/**
 * `NO_PROXY`: comma-separated; `*` matches everything; `example.com` and `.example.com` match the
 * name and its subdomains; an entry with `:port` matches that port only; IP entries match exactly.
 */
function bypassed(hostname: string, port: string, noProxy: string): boolean {
  for (const raw of noProxy.split(',')) {
    let entry = raw.trim().toLowerCase()
    if (entry === '') continue
    if (entry === '*') return true
    const colon = entry.lastIndexOf(':')
    if (colon > 0 && !entry.endsWith(']') && isIP(entry) !== 6) {
      if (entry.slice(colon + 1) !== port) continue
      entry = entry.slice(0, colon)
    }
    entry = bareHostname(entry)
    const domain = entry.startsWith('.') ? entry.slice(1) : entry
    if (hostname === domain || hostname.endsWith(`.${domain}`)) return true
  }
  return false
}
