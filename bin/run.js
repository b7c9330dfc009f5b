#!/usr/bin/env node
import module from 'node:module'

// The floor of package.json's engines (undici 7's): below it, one line rather than a crash deep
// inside a dependency (npm only warns about engines).
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 18)) {
  process.stderr.write(`ory-proxy: needs Node.js 20.18 or later; this is Node.js ${process.versions.node}\n`)
  process.exit(2)
}

// Node 22.8+ keeps V8's compiled code of the modules loaded below on disk, so later starts skip
// compiling them (README: Start-up). Node 20 has no such call. V8 keys that code to its flags, so
// a module first loaded after the heap floor changed one (src/heap-floor.ts) compiles anew.
module.enableCompileCache?.()

// oclif's `execute` alone, not its index: the index also loads every other part of oclif and
// semver (for a Node version warning), 10-25 ms of every start. Imported after the cache is on.
const { execute } = await import('@oclif/core/execute')
await execute({ dir: import.meta.url })
