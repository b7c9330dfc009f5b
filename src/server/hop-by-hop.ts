/**
 * Hop-by-hop header rules shared by both directions (RFC 9110 §7.6.1): the fixed list, and the
 * names a `Connection` header nominates.
 */

/** Connection options that name no header we would otherwise forward. */
const PLAIN_OPTIONS = new Set(['keep-alive', 'close', 'upgrade', 'te', 'http2-settings'])

/**
 * Adds the header names a `Connection` value nominates to `into` (lower-cased), skipping the plain
 * options every client sends. Returns `into`, created on first need, so the common
 * `Connection: keep-alive` allocates nothing.
 */
export function nominatedHeaders(value: string, into: Set<string> | undefined): Set<string> | undefined {
  if (PLAIN_OPTIONS.has(value.toLowerCase())) return into
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase()
    if (name === '' || PLAIN_OPTIONS.has(name)) continue
    ;(into ??= new Set()).add(name)
  }
  return into
}

/** Removes every `[name, value]` pair whose name is in `names` from a flat header list, in place. */
export function removeNominated(flat: string[], names: Set<string>): void {
  let write = 0
  for (let read = 0; read < flat.length; read += 2) {
    if (names.has(flat[read]!.toLowerCase())) continue
    flat[write] = flat[read]!
    flat[write + 1] = flat[read + 1]!
    write += 2
  }
  flat.length = write
}
