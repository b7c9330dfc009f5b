import { chromium, type Browser } from 'playwright-core'

/** Debian's chromium, headless, with nothing that would reach beyond this machine; `extraArgs` appended. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-quic',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  })
}
