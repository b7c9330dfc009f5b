import { readFileSync } from 'node:fs'
import type { TlsMaterial } from '../config.js'
import { ConfigError } from '../errors.js'

/** The TLS flags as the command parsed them. */
export interface TlsFlags {
  readonly https: boolean
  readonly tlsCert: string | undefined
  readonly tlsKey: string | undefined
  readonly devCert: string | undefined
}

export interface ResolvedTls {
  readonly material: TlsMaterial
  /** Where the certificate comes from, for the banner. */
  readonly description: string
}

/**
 * What `--https`, `--tls-cert`/`--tls-key` and `--dev-cert` ask for: no TLS, the given files, or
 * the development certificate (made now, or kept in and reused from `--dev-cert`). Giving files or
 * `--dev-cert` turns HTTPS on by itself. Contradictions and unreadable files are {@link ConfigError}s.
 * The certificate maker (and node:crypto, 5 ms of a start on Node 24) loads only when it is needed.
 */
export async function resolveTls(flags: TlsFlags): Promise<ResolvedTls | undefined> {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key go together: pass both, or neither for a development certificate')
  }
  if (flags.tlsCert !== undefined && flags.devCert !== undefined) {
    throw new ConfigError('--dev-cert keeps the generated certificate; it cannot be combined with --tls-cert')
  }
  if (flags.tlsCert !== undefined) {
    return {
      material: { cert: readPem(flags.tlsCert, '--tls-cert'), key: readPem(flags.tlsKey!, '--tls-key') },
      description: flags.tlsCert,
    }
  }
  if (!flags.https && flags.devCert === undefined) return undefined
  const { loadDevCertificate } = await import('../tls/dev-cert.js')
  const dev = loadDevCertificate(flags.devCert)
  const where =
    dev.source === 'generated'
      ? 'made for this run; keep one with --dev-cert <file> to trust it once'
      : `${dev.source} ${dev.certFile} (key ${dev.keyFile})`
  return {
    material: dev,
    description: `self-signed development certificate for localhost, ${where}; SHA-256 ${dev.fingerprint256}`,
  }
}

function readPem(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (cause) {
    throw new ConfigError(`${flag} ${path} cannot be read: ${(cause as NodeJS.ErrnoException).code ?? cause}`, { cause })
  }
}
