/**
 * A default for `--help`, the manifest and the README's flag tables, for a flag without a default
 * value of its own (oclif caches only a `defaultHelp` function into the manifest).
 */
export function shown(text: string): () => Promise<string> {
  return async () => text
}
