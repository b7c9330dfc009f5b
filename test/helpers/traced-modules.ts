import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { ROOT } from './cli.js'

/**
 * The module URLs a traced run loaded (test/helpers/trace-imports.mjs wrote them to `traceFile`),
 * each file of the CLI's bundle replaced by the dist modules bundled into it, as
 * dist/chunks/sources.json names them (scripts/bundle-cli.mjs).
 */
export function tracedModules(traceFile: string): string[] {
  const dist = new URL('dist/', pathToFileURL(ROOT))
  const sources = JSON.parse(readFileSync(new URL('chunks/sources.json', dist), 'utf8')) as Record<string, string[]>
  return readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter((url) => url !== '')
    .flatMap((url) => {
      const inBundle = url.startsWith(dist.href) ? sources[url.slice(dist.href.length)] : undefined
      return inBundle === undefined ? [url] : inBundle.map((module) => new URL(module, dist).href)
    })
}
