#!/usr/bin/env node
// Started as ory-proxy's bin/run.js starts: the compile cache on, then oclif's `execute` alone.
import module from 'node:module'

module.enableCompileCache?.()
const { execute } = await import('@oclif/core/execute')
await execute({ dir: import.meta.url })
