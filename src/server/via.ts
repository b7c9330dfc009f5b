import { v4 as uuid } from '@napi-rs/uuid'

/** A name for one proxy (all its workers) in `Via`: `ory-proxy-` and 8 random hex digits. */
export function newViaPseudonym(): string {
  return `ory-proxy-${uuid().slice(0, 8)}`
}

/** Node's `httpVersion` → Via's received-protocol: HTTP/2 is `2` (RFC 9110 §7.6.3, RFC 9113 §3). */
const RECEIVED_PROTOCOL: Readonly<Record<string, string>> = { '1.0': '1.0', '1.1': '1.1', '2.0': '2', '2': '2' }

/**
 * The proxy's `Via` entry in both directions: the version of the message it received, then its
 * pseudonym, appended to the entries earlier hops left. The pseudonym is what loop detection
 * looks for in requests.
 */
export class ViaEntry {
  readonly pseudonym: string
  readonly #entries = new Map<string, string>()

  constructor(pseudonym: string) {
    this.pseudonym = pseudonym
    for (const [version, protocol] of Object.entries(RECEIVED_PROTOCOL)) this.#entries.set(version, `${protocol} ${pseudonym}`)
  }

  /** `existing` (the message's own `Via`, if any) with this hop added for a message of `httpVersion`. */
  append(existing: string | undefined, httpVersion: string): string {
    const own = this.#entries.get(httpVersion) ?? `${httpVersion} ${this.pseudonym}`
    return existing === undefined ? own : `${existing}, ${own}`
  }
}
