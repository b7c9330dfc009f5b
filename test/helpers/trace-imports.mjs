// Loader hooks for black-box tests: appends every resolved module URL to $ORY_PROXY_TRACE_FILE,
// so a test can tell which packages a CLI run loaded.
import { appendFileSync } from 'node:fs'

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  if (process.env.ORY_PROXY_TRACE_FILE) appendFileSync(process.env.ORY_PROXY_TRACE_FILE, `${result.url}\n`)
  return result
}
