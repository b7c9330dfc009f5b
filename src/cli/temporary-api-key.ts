import type { Logger } from '../logger.js'
import type { ConsoleApi } from './console-api.js'

/** A project API key made for this run: its value goes to Ory only, and `release()` deletes it. */
export interface TemporaryApiKey {
  readonly value: string
  /** Deletes the key and closes the console client; a failure is a warning naming the key. Never rejects. */
  release(): Promise<void>
}

export interface TemporaryKeyOptions {
  readonly projectId: string
  readonly projectSlug: string
  /** `--api-key-expiry` in ms; 0 = the key never expires. */
  readonly expiryMs: number
  /** Goes into the key's name, as the Ory CLI's `Ory proxy temporary API key - <user>`. */
  readonly userName: string
  readonly logger: Logger
  readonly now?: number | undefined
}

/**
 * ory proxy's temporary key: created at start with `expires_at = now + --api-key-expiry`, so a
 * proxy killed before it could clean up leaves no key behind for longer than that (ory/cli#443),
 * and deleted on shutdown. When the console refuses, the proxy runs without one (as `ory proxy`),
 * with a warning: Ory then rewrites no URLs to the proxy (social sign-in, email links).
 */
export async function createTemporaryApiKey(console: ConsoleApi, options: TemporaryKeyOptions): Promise<TemporaryApiKey | undefined> {
  const expiresAt = options.expiryMs === 0 ? undefined : new Date((options.now ?? Date.now()) + options.expiryMs)
  const name = `Ory proxy temporary API key - ${options.userName}`
  let key
  try {
    key = await console.createProjectApiKey(options.projectId, name, expiresAt)
  } catch (error) {
    options.logger.warn(
      `could not create a temporary API key for project ${options.projectSlug} (${(error as Error).message}); continuing without one, so Ory does not rewrite its URLs to the proxy (social sign-in, email links)`,
    )
    await console.close()
    return undefined
  }
  const until = expiresAt === undefined ? 'it never expires' : `it expires at ${expiresAt.toISOString()}`
  let released: Promise<void> | undefined
  return {
    value: key.value,
    release: () =>
      (released ??= console
        .deleteProjectApiKey(options.projectId, key.id)
        .catch((error: unknown) => {
          options.logger.warn(
            `could not delete the temporary API key "${key.name}" (id ${key.id}) of project ${options.projectSlug}: ${(error as Error).message}; ${until}, or delete it in the Ory Console`,
          )
        })
        .finally(() => console.close())),
  }
}
