#!/usr/bin/env node
// oclif's `execute` alone, not its index: the index also loads every other part of oclif and
// semver (for a Node version warning), 10-25 ms of every start.
import { execute } from '@oclif/core/execute'

await execute({ dir: import.meta.url })
