/**
 * `$PORT` as `ory proxy` reads it: the listen port when it is one, otherwise ignored (the proxy
 * listens on 4000). oclif would stop the start on a `PORT` that is no port number, and its error
 * names `--port`, which the user never passed; so such a value is taken out of the environment
 * before the flags are parsed, and returned for a warning. An empty `PORT` goes silently.
 */
export function takeUnusablePort(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.PORT
  if (value === undefined || isPortNumber(value)) return undefined
  delete env.PORT
  return value === '' ? undefined : value
}

function isPortNumber(value: string): boolean {
  return /^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 65_535
}
