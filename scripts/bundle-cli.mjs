// Bundles the entry points a CLI start loads, in place over tsc's output (README: "Start-up with
// and without JWTs"). A `--no-jwt` start used to load 57 files of dist, each resolved, stat-ed, read
// and linked on its own; bundled, it loads a handful. Run by `npm run build` after tsc.
//
// - Every output sits one level under dist: the entries below, and the chunks they share in
//   dist/chunks. So the paths signer.ts and cluster/primary.ts take relative to their own file
//   (`../workers/…`, `../cluster/…`) hold wherever esbuild places their code.
// - Packages stay external: oclif finds its plugins, and src/undici-parts.ts puts its stand-in in
//   undici's place, through Node's own resolution.
// - The library (`startProxy()` from dist/index.js) keeps tsc's unbundled modules; the worker
//   entries it starts (a cluster worker, a signing thread) are bundled, each self-contained, the
//   signing thread's as CommonJS (below).
// - dist/chunks/sources.json names the modules in each file it wrote, so a test that traces which
//   files a start loads can still tell which modules those were.
import { existsSync, writeFileSync } from 'node:fs'
import { relative } from 'node:path'
import { build } from 'esbuild'

const ENTRIES = ['commands/start.js', 'commands/identity-server.js', 'cluster/worker.js']

// Bundling a bundle would nest chunks in chunks: this runs once, on what tsc just wrote.
if (existsSync('dist/chunks')) throw new Error('dist is bundled already: run npm run build')

const { metafile } = await build({
  entryPoints: ENTRIES.map((entry) => `dist/${entry}`),
  outdir: 'dist',
  outbase: 'dist',
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20.18',
  packages: 'external',
  logLevel: 'warning',
  metafile: true,
})

// The signing thread's code, as one CommonJS file. piscina loads a task file with require() first,
// and on Node 20 a thread stopped while require() instantiates an ES module takes the whole process
// down (V8: "IsGraphAsync must be used on an instantiated module"; seen once, a proxy stopped moments
// after it started). CommonJS loads without that step, on every Node.
const signer = await build({
  entryPoints: ['dist/workers/sign.worker.js'],
  outfile: 'dist/workers/sign.worker.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.18',
  packages: 'external',
  logLevel: 'warning',
  metafile: true,
})

const sources = Object.fromEntries(
  Object.entries({ ...metafile.outputs, ...signer.metafile.outputs })
    .filter(([file]) => file.endsWith('.js') || file.endsWith('.cjs'))
    .map(([file, output]) => [relative('dist', file), Object.keys(output.inputs).map((input) => relative('dist', input))]),
)
writeFileSync('dist/chunks/sources.json', `${JSON.stringify(sources, null, 2)}\n`)
