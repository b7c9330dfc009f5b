import { spawn } from 'node:child_process'
import type { Logger } from '../logger.js'

/** What opens a URL in the default browser on each platform (as github.com/pkg/browser does). */
export function browserCommand(platform: NodeJS.Platform): { readonly command: string; readonly args: readonly string[] } {
  if (platform === 'darwin') return { command: 'open', args: [] }
  // `start` is a cmd built-in; its first argument (empty here, quoted by Node) is the window title.
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', ''] }
  return { command: 'xdg-open', args: [] }
}

/** The Ory CLI's message when the browser cannot be opened. */
const OPEN_FAILED = 'Unable to automatically open the proxy URL in your browser. Please open it manually!'

/**
 * `--open`: hands `url` to the platform's opener, detached so the proxy never waits for it.
 * Failure (no opener, or it exits non-zero) is a warning, never fatal. Resolves once the opener
 * exited or failed to start.
 */
export function openBrowser(url: string, logger: Logger, platform: NodeJS.Platform = process.platform): Promise<void> {
  const { command, args } = browserCommand(platform)
  return new Promise((resolve) => {
    const child = spawn(command, [...args, url], { stdio: 'ignore', detached: true, windowsHide: true })
    child.once('error', (error: NodeJS.ErrnoException) => {
      logger.warn(`${OPEN_FAILED} (${command}: ${error.code ?? error.message})`)
      resolve()
    })
    child.once('exit', (code, signal) => {
      if (code !== 0) logger.warn(`${OPEN_FAILED} (${command} exited with ${code ?? signal})`)
      else logger.debug({ event: 'browser-opened', url, command })
      resolve()
    })
    child.unref()
  })
}
