// Writes each command's flag table into README.md between `<!-- flags:<id> -->` and
// `<!-- /flags:<id> -->`, from the compiled command's flag declarations (as `--help` shows them),
// so the README cannot drift from the CLI. Run by `npm run build`; `test/run.sh` fails when the
// committed table differs from what this writes.
import { readFileSync, writeFileSync } from 'node:fs'

const root = new URL('../', import.meta.url)
const readmeUrl = new URL('README.md', root)
const manifest = JSON.parse(readFileSync(new URL('oclif.manifest.json', root), 'utf8'))

let readme = readFileSync(readmeUrl, 'utf8')
for (const id of Object.keys(manifest.commands)) {
  const open = `<!-- flags:${id} -->`
  const close = `<!-- /flags:${id} -->`
  const from = readme.indexOf(open)
  const to = readme.indexOf(close)
  if (from === -1 || to < from) continue
  const { default: command } = await import(new URL(`dist/commands/${id.replaceAll(' ', '/')}.js`, root).href)
  const table = await flagTable(command.flags)
  readme = `${readme.slice(0, from + open.length)}\n${table}\n${readme.slice(to)}`
}
writeFileSync(readmeUrl, readme)

/** One row per flag, in declaration order: flag, env var (or —), default, summary. */
async function flagTable(flags) {
  const rows = ['| flag | env | default | what it does |', '|---|---|---|---|']
  for (const [name, flag] of Object.entries(flags)) {
    if (flag.hidden) continue
    rows.push(`| ${cell(label(name, flag))} | ${flag.env ? `\`${flag.env}\`` : '—'} | ${cell(await defaultOf(flag))} | ${cell(flag.summary ?? flag.description ?? '')} |`)
  }
  return rows.join('\n')
}

function label(name, flag) {
  const long = flag.type === 'boolean' && flag.allowNo ? `--[no-]${name}` : `--${name}`
  return `\`${flag.char ? `-${flag.char}, ` : ''}${long}\``
}

async function defaultOf(flag) {
  if (flag.type === 'boolean') return flag.default === true ? 'on' : 'off'
  if (typeof flag.defaultHelp === 'function') return (await flag.defaultHelp({ flags: {}, options: flag })) ?? '—'
  if (flag.default === undefined) return '—'
  return `\`${typeof flag.default === 'function' ? await flag.default({ flags: {}, options: flag }) : flag.default}\``
}

function cell(text) {
  return String(text).replaceAll('|', '\\|').replaceAll('\n', ' ')
}
