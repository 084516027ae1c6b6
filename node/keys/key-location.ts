/**
 * Where each of the node's keys lives. A file key is `keys/<name>.key` in the encrypted key store; a
 * token key is named by `keys/<name>.pkcs11.json` (0600: module, token label, key label, PIN file
 * and the key's DID, no secret). `loadSigner` opens whichever is configured: when a token is named,
 * any failure to open it (module, token, PIN, key, a different key) stops the node with a named
 * error; it never falls back to a file key.
 */
import { chmod, open } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { KeyStore } from '../../identity/keystore.js'
import type { Signer } from '../../identity/signer.js'
import { openPkcs11Signer, type Pkcs11KeyRef } from '../../identity/pkcs11-signer.js'
import type { DataDirLayout } from '../data-dir.js'
import { readRegularFile } from '../../identity/regular-file.js'

export class KeyLocationError extends Error {
  override readonly name = 'KeyLocationError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

export interface TokenKeyFile extends Pkcs11KeyRef {
  version: 1
  /** The key's name in this data directory (`org`, `node`). */
  key: string
  did: string
  /** File holding the user PIN (first line). */
  pinFile: string
}

export type KeyLocation =
  | { key: string, where: 'file', path: string }
  | { key: string, where: 'pkcs11', module: string, token: string, label: string, did: string }

/** A signer the node holds while it runs; `close` releases a token session (no-op for file keys). */
export interface HeldSigner {
  signer: Signer
  location: KeyLocation
  close: () => Promise<void>
}

export function tokenKeyPath (layout: DataDirLayout, name: string): string {
  return join(layout.keys, `${name}.pkcs11.json`)
}

export async function readTokenKeyFile (layout: DataDirLayout, name: string): Promise<TokenKeyFile | undefined> {
  const path = tokenKeyPath(layout, name)
  let text: string
  try {
    text = await readRegularFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let f: TokenKeyFile
  try {
    f = JSON.parse(text) as TokenKeyFile
  } catch {
    throw new KeyLocationError('KEY_FILE_CORRUPT', `${path} is not JSON`)
  }
  if (f?.version !== 1 || [f.module, f.token, f.label, f.did, f.pinFile].some(v => typeof v !== 'string' || v === '')) throw new KeyLocationError('KEY_FILE_CORRUPT', `${path} lacks module, token, label, did or pinFile`)
  return f
}

export async function writeTokenKeyFile (layout: DataDirLayout, f: Omit<TokenKeyFile, 'version'>): Promise<void> {
  const path = tokenKeyPath(layout, f.key)
  const fh = await open(path, 'wx', 0o600)
  try {
    await fh.writeFile(JSON.stringify({ version: 1, ...f, module: resolve(f.module), pinFile: resolve(f.pinFile) }, null, 2) + '\n')
    await fh.sync()
  } finally {
    await fh.close()
  }
  await chmod(path, 0o600)
}

export async function readPin (pinFile: string): Promise<string> {
  let text: string
  try {
    text = await readRegularFile(pinFile)
  } catch (err) {
    throw new KeyLocationError('PIN_FILE_UNREADABLE', `cannot read the PKCS#11 PIN file ${pinFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const pin = text.split('\n')[0].trim()
  if (pin === '') throw new KeyLocationError('PIN_FILE_UNREADABLE', `the PKCS#11 PIN file ${pinFile} is empty`)
  return pin
}

/** Open key `name`: on its token when `keys/<name>.pkcs11.json` names one, else from the file key store. */
export async function loadSigner (layout: DataDirLayout, keys: KeyStore, name: string, options: { signal?: AbortSignal } = {}): Promise<HeldSigner> {
  const token = await readTokenKeyFile(layout, name)
  if (token == null) {
    const signer = await keys.load(name)
    return { signer, location: { key: name, where: 'file', path: join(layout.keys, `${name}.key`) }, close: async () => {} }
  }
  const pin = await readPin(token.pinFile)
  const { signer } = await openPkcs11Signer({ module: token.module, token: token.token, label: token.label, pin, ...(options.signal != null ? { signal: options.signal } : {}) })
  if (signer.did !== token.did) {
    await signer.close()
    throw new KeyLocationError('KEY_MISMATCH', `the key labelled ${token.label} on token ${token.token} is ${signer.did}, not ${token.did} named in ${tokenKeyPath(layout, name)}`)
  }
  return { signer, location: { key: name, where: 'pkcs11', module: token.module, token: token.token, label: token.label, did: token.did }, close: async () => { await signer.close() } }
}

/** Where each key lives, without opening any (doctor, identity show). */
export async function keyLocations (layout: DataDirLayout, names: string[]): Promise<KeyLocation[]> {
  const out: KeyLocation[] = []
  for (const key of names) {
    const t = await readTokenKeyFile(layout, key).catch(() => undefined)
    out.push(t != null ? { key, where: 'pkcs11', module: t.module, token: t.token, label: t.label, did: t.did } : { key, where: 'file', path: join(layout.keys, `${key}.key`) })
  }
  return out
}
