import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate, createPrivateKey } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { TlsMaterial } from '../config.js'
import { ConfigError } from '../errors.js'
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  octetString,
  oid,
  sequence,
  set,
  time,
  unsignedInteger,
  utf8String,
} from './der.js'

/** The names the development certificate is valid for: what a browser on this machine types. */
export const DEV_CERT_NAMES = Object.freeze({ dns: ['localhost'], ip: ['127.0.0.1', '::1'] })

/** Longest lifetime macOS and Chrome accept for a TLS server certificate (398 days), less a day. */
const LIFETIME_DAYS = 397
/** A saved certificate closer than this to expiry is replaced at start. */
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000
const DAY_MS = 24 * 3600 * 1000

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value))
}

function ipBytes(address: string): Buffer {
  if (address.includes('.')) return Buffer.from(address.split('.').map(Number))
  // Only the loopback literal is needed here; expand `::` for it and any other compressed form.
  const [head, tail] = address.split('::') as [string, string | undefined]
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  return Buffer.concat(groups.map((group) => Buffer.from(group.padStart(4, '0'), 'hex')))
}

/**
 * A self-signed ECDSA P-256 certificate for `names` (localhost, 127.0.0.1 and ::1), valid from an
 * hour ago for 397 days: a TLS server (leaf) certificate with serverAuth, not a CA, so trusting it
 * cannot vouch for any other site.
 */
export function createDevCertificate(
  now: Date = new Date(),
  names: { readonly dns: readonly string[]; readonly ip: readonly string[] } = DEV_CERT_NAMES,
): TlsMaterial {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const name = sequence(
    set(sequence(oid(OID.organization), utf8String('ory-proxy'))),
    set(sequence(oid(OID.commonName), utf8String('ory-proxy development certificate (localhost)'))),
  )
  const serial = randomBytes(16)
  serial[0] = (serial[0]! & 0x7f) | 0x40
  const algorithm = sequence(oid(OID.ecdsaWithSha256))
  const altNames = sequence(
    ...names.dns.map((dns) => implicitPrimitive(2, Buffer.from(dns, 'latin1'))),
    ...names.ip.map((ip) => implicitPrimitive(7, ipBytes(ip))),
  )
  // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (the SPKI's trailing 65 bytes for P-256).
  const keyId = createHash('sha1').update(spki.subarray(spki.length - 65)).digest()
  const extensions = sequence(
    extension(OID.basicConstraints, true, sequence()),
    // digitalSignature only (bit 0): ECDHE key exchange signs, it never encrypts.
    extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
    extension(OID.subjectAltName, false, altNames),
    extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
  )
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(time(new Date(now.getTime() - 3600 * 1000)), time(new Date(now.getTime() + LIFETIME_DAYS * DAY_MS))),
    name,
    spki,
    explicit(3, extensions),
  )
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' })
  const der = sequence(tbs, algorithm, bitString(signature))
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  }
}

/** What {@link loadDevCertificate} did, for the banner. */
export type DevCertificateSource = 'generated' | 'created' | 'reused' | 'renewed'

export interface DevCertificate extends TlsMaterial {
  readonly source: DevCertificateSource
  /** Where the certificate and key are kept, when they are. */
  readonly certFile: string | undefined
  readonly keyFile: string | undefined
  /** `AB:CD:…`, so a user can check what their browser was asked to trust. */
  readonly fingerprint256: string
}

/** mkcert's convention: `localhost.pem` keeps its key in `localhost-key.pem`. */
export function devKeyFile(certFile: string): string {
  return certFile.endsWith('.pem') ? `${certFile.slice(0, -4)}-key.pem` : `${certFile}-key.pem`
}

/**
 * The development certificate for `--https` without `--tls-cert`: fresh in memory when `certFile`
 * is undefined; otherwise reused from `certFile` (and its `-key.pem`) while it is valid for more
 * than a week, and written there (mode 0600 for the key) when missing or about to expire, so a
 * browser told to trust it once keeps trusting it. A file that is there but is not a certificate
 * is never overwritten: that is a {@link ConfigError}.
 */
export function loadDevCertificate(certFile: string | undefined, now: Date = new Date()): DevCertificate {
  if (certFile === undefined) return describe(createDevCertificate(now), 'generated', undefined, undefined)
  const keyFile = devKeyFile(certFile)
  const saved = readSaved(certFile, keyFile)
  if (saved !== undefined) {
    const certificate = new X509Certificate(saved.cert)
    const fresh = Date.parse(certificate.validTo) - now.getTime() > RENEW_BEFORE_MS
    if (fresh && certificate.checkPrivateKey(createPrivateKey(saved.key))) {
      return describe(saved, 'reused', certFile, keyFile)
    }
  }
  const created = createDevCertificate(now)
  try {
    mkdirSync(dirname(certFile), { recursive: true })
    writeFileSync(keyFile, created.key, { mode: 0o600 })
    writeFileSync(certFile, created.cert)
  } catch (cause) {
    throw new ConfigError(`--dev-cert ${certFile} cannot be written: ${(cause as NodeJS.ErrnoException).code ?? cause}`, {
      cause,
    })
  }
  return describe(created, saved === undefined ? 'created' : 'renewed', certFile, keyFile)
}

/**
 * The saved pair, or undefined when neither file exists yet. Half a pair is not ours to complete:
 * a certificate whose key lives elsewhere, or a file that merely has the name, would be replaced.
 */
function readSaved(certFile: string, keyFile: string): TlsMaterial | undefined {
  const cert = readIfThere(certFile, certFile)
  const key = readIfThere(keyFile, certFile)
  if (cert === undefined && key === undefined) return undefined
  if (cert === undefined || key === undefined) {
    const [there, missing] = cert === undefined ? [keyFile, certFile] : [certFile, keyFile]
    throw new ConfigError(`--dev-cert ${certFile}: ${there} is there but ${missing} is not; remove it or choose another path`)
  }
  try {
    new X509Certificate(cert)
    createPrivateKey(key)
  } catch (cause) {
    throw new ConfigError(
      `--dev-cert ${certFile} (or ${keyFile}) is not a PEM certificate and key; remove both or choose another path`,
      { cause },
    )
  }
  return { cert, key }
}

/** `file`'s text, or undefined when it does not exist. */
function readIfThere(file: string, certFile: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ConfigError(`--dev-cert ${certFile} cannot be read: ${(cause as NodeJS.ErrnoException).code ?? cause}`, {
      cause,
    })
  }
}

function describe(
  material: TlsMaterial,
  source: DevCertificateSource,
  certFile: string | undefined,
  keyFile: string | undefined,
): DevCertificate {
  const { fingerprint256 } = new X509Certificate(material.cert)
  return { ...material, source, certFile, keyFile, fingerprint256 }
}
