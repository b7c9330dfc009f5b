/**
 * The V8 settings `ory-proxy start` runs with. Each upstream read allocates a fresh 64 KiB buffer
 * and in-flight requests survive young collections, so with V8's small initial old generation a
 * proxy passing large bodies runs a full mark-compact many times a second (69 in 7 s at 1 MiB
 * responses here, 62 at 64 KiB). A larger initial old generation leaves it to the young
 * collector: 5-7 and 0, and 23-32 % less CPU per request (bench/README.md, issue 12). V8 reads it
 * only when the heap is made: it must be on node's command line (`NODE_OPTIONS` refuses it, and
 * `v8.setFlagsFromString` at run time changes nothing), which bin/run.js's shebang, `npm start`,
 * the relaunch in src/cli/relaunch.ts and the cluster primary (for its workers) see to.
 */
export const NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128']

/** Whether node was started with every one of {@link NODE_FLAGS} (`execArgv`: node's own arguments). */
export function hasNodeFlags(execArgv: readonly string[] = process.execArgv): boolean {
  return NODE_FLAGS.every((flag) => execArgv.includes(flag))
}

/** `execArgv` with whichever of {@link NODE_FLAGS} it lacks put in front. */
export function withNodeFlags(execArgv: readonly string[]): string[] {
  return [...NODE_FLAGS.filter((flag) => !execArgv.includes(flag)), ...execArgv]
}
