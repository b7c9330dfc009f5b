#!/usr/bin/env -S node --initial-old-space-size=128
// The V8 flags on the line above are src/node-flags.ts's NODE_FLAGS (a test keeps them equal). A
// launch without them (`node bin/run.js start`, an `env` without -S) is relaunched with them.
import { relaunchWithNodeFlags } from '../dist/cli/relaunch.js'

if (!relaunchWithNodeFlags()) {
  const { execute } = await import('@oclif/core')
  await execute({ dir: import.meta.url })
}
