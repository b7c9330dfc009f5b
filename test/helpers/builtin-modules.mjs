// Preloaded (NODE_OPTIONS=--import=…) into a CLI under test: when its main thread exits, writes
// the built-in modules that thread loaded to $ORY_PROXY_BUILTINS_FILE, one per line, so a test can
// tell what a start paid for.
import { writeFileSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'

const file = process.env.ORY_PROXY_BUILTINS_FILE
if (isMainThread && file) process.on('exit', () => writeFileSync(file, process.moduleLoadList.join('\n')))
