/**
 * Key stores hold Ed25519 seeds and hand out Signers. FileKeyStore keeps one JSON file per key,
 * `<dir>/<name>.key` (mode 0600, dir 0700): scrypt derives a key from the passphrase, AES-256-GCM
 * encrypts the seed with the key name and public DID bound as additional data. The DID is stored in
 * clear so keys can be listed without the passphrase. Seeds never appear in logs or toJSON.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto'
import { chmod, link, mkdir, open, readdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { Ed25519Signer } from './signer.js'
import { readRegularFile } from './regular-file.js'

export const KeyStoreErrorCode = {
  WRONG_PASSPHRASE: 'WRONG_PASSPHRASE',
  KEY_NOT_FOUND: 'KEY_NOT_FOUND',
  KEY_FILE_CORRUPT: 'KEY_FILE_CORRUPT',
  KEY_EXISTS: 'KEY_EXISTS',
  INVALID_KEY_NAME: 'INVALID_KEY_NAME',
  NO_PASSPHRASE: 'NO_PASSPHRASE'
} as const

export class KeyStoreError extends Error {
  override readonly name = 'KeyStoreError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

export interface KeyStore {
  /** Generate and store a new key; `KEY_EXISTS` if the name is taken (never overwrites). */
  create: (name: string) => Promise<Ed25519Signer>
  /** `KEY_NOT_FOUND`, `WRONG_PASSPHRASE`, `KEY_FILE_CORRUPT`. */
  load: (name: string) => Promise<Ed25519Signer>
  has: (name: string) => Promise<boolean>
  /** Names of stored keys, sorted. */
  list: () => Promise<string[]>
  /** The public did:key of a stored key, without decrypting it. */
  did: (name: string) => Promise<string>
  /** Store an existing 32-byte seed; `KEY_EXISTS` if the name is taken. */
  import: (name: string, seed: Uint8Array) => Promise<Ed25519Signer>
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/
export const PASSPHRASE_ENV = 'TRUSTMESH_PASSPHRASE'

export function isValidKeyName (name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name) && !name.includes('..')
}

function checkName (name: string): void {
  if (!isValidKeyName(name)) throw new KeyStoreError(KeyStoreErrorCode.INVALID_KEY_NAME, `invalid key name ${JSON.stringify(String(name).slice(0, 64))}: use 1..64 of [a-z0-9._-], starting with a letter or digit`)
}

function checkSeed (seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new RangeError('Ed25519 seed must be 32 bytes')
}

/** The passphrase from an explicit option, else `TRUSTMESH_PASSPHRASE`; `NO_PASSPHRASE` if neither is set. */
export function resolvePassphrase (option?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== undefined && option !== '') return option
  const fromEnv = env[PASSPHRASE_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  throw new KeyStoreError(KeyStoreErrorCode.NO_PASSPHRASE, `no passphrase: pass --passphrase or set ${PASSPHRASE_ENV}`)
}

/** Keys in process memory only (tests, ephemeral nodes). */
export class MemoryKeyStore implements KeyStore {
  readonly #seeds = new Map<string, Uint8Array>()

  async create (name: string): Promise<Ed25519Signer> {
    return await this.import(name, Ed25519Signer.generate().exportSeed())
  }

  async load (name: string): Promise<Ed25519Signer> {
    checkName(name)
    const seed = this.#seeds.get(name)
    if (seed == null) throw new KeyStoreError(KeyStoreErrorCode.KEY_NOT_FOUND, `no key named ${name}`)
    return new Ed25519Signer(seed)
  }

  async has (name: string): Promise<boolean> {
    checkName(name)
    return this.#seeds.has(name)
  }

  async list (): Promise<string[]> {
    return [...this.#seeds.keys()].sort()
  }

  async did (name: string): Promise<string> {
    return (await this.load(name)).did
  }

  async import (name: string, seed: Uint8Array): Promise<Ed25519Signer> {
    checkName(name)
    checkSeed(seed)
    if (this.#seeds.has(name)) throw new KeyStoreError(KeyStoreErrorCode.KEY_EXISTS, `a key named ${name} already exists`)
    this.#seeds.set(name, Uint8Array.from(seed))
    return new Ed25519Signer(seed)
  }

  toJSON (): { type: string, keys: number } {
    return { type: 'memory', keys: this.#seeds.size }
  }
}

export interface ScryptParams {
  /** CPU/memory cost, a power of two; default 2^15. */
  N: number
  r: number
  p: number
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 15, r: 8, p: 1 }
/** Refuse files asking for more work than this, so a planted file cannot exhaust memory. */
const MAX_SCRYPT_N = 1 << 20
const FILE_VERSION = 1

interface KeyFile {
  version: number
  name: string
  did: string
  kdf: { name: 'scrypt', N: number, r: number, p: number, salt: string }
  /** HMAC of a fixed label under the derived MAC key: tells a wrong passphrase from a damaged file. */
  check: string
  cipher: { name: 'aes-256-gcm', nonce: string, ciphertext: string, tag: string }
}

async function deriveKeys (passphrase: string, salt: Buffer, p: ScryptParams): Promise<{ enc: Buffer, mac: Buffer }> {
  const out = await new Promise<Buffer>((resolve, reject) => {
    scryptCb(Buffer.from(passphrase.normalize('NFC'), 'utf8'), salt, 64, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r * p.p + (1 << 20) }, (err, key) => {
      if (err != null) reject(err)
      else resolve(key)
    })
  })
  return { enc: out.subarray(0, 32), mac: out.subarray(32) }
}

function aad (name: string, did: string): Buffer {
  return Buffer.from(`trustmesh-key/v${FILE_VERSION}\n${name}\n${did}`, 'utf8')
}

function passphraseCheck (mac: Buffer, name: string): Buffer {
  return createHmac('sha256', mac).update(`trustmesh-key-check/v${FILE_VERSION}\n${name}`).digest()
}

function b64 (s: unknown, len?: number): Buffer | undefined {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined
  const b = Buffer.from(s, 'base64')
  if (b.toString('base64') !== s) return undefined
  return len === undefined || b.length === len ? b : undefined
}

function isPowerOfTwo (n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 2 && (n & (n - 1)) === 0
}

export interface FileKeyStoreOptions {
  /** scrypt cost; tests use a small N. */
  scrypt?: Partial<ScryptParams>
}

/** Encrypted key files in one directory. */
export class FileKeyStore implements KeyStore {
  readonly dir: string
  readonly #passphrase: string
  readonly #scrypt: ScryptParams

  constructor (dir: string, passphrase: string, options: FileKeyStoreOptions = {}) {
    if (typeof passphrase !== 'string' || passphrase.length === 0) throw new KeyStoreError(KeyStoreErrorCode.NO_PASSPHRASE, 'a non-empty passphrase is required')
    this.dir = dir
    this.#passphrase = passphrase
    this.#scrypt = { ...DEFAULT_SCRYPT, ...options.scrypt }
    if (!isPowerOfTwo(this.#scrypt.N) || this.#scrypt.N > MAX_SCRYPT_N) throw new RangeError(`scrypt N must be a power of two <= 2^20, got ${this.#scrypt.N}`)
  }

  #path (name: string): string {
    checkName(name)
    return join(this.dir, `${name}.key`)
  }

  async create (name: string): Promise<Ed25519Signer> {
    return await this.import(name, Ed25519Signer.generate().exportSeed())
  }

  async import (name: string, seed: Uint8Array): Promise<Ed25519Signer> {
    const path = this.#path(name)
    checkSeed(seed)
    const signer = new Ed25519Signer(seed)
    const salt = randomBytes(16)
    const nonce = randomBytes(12)
    const { enc, mac } = await deriveKeys(this.#passphrase, salt, this.#scrypt)
    const cipher = createCipheriv('aes-256-gcm', enc, nonce)
    cipher.setAAD(aad(name, signer.did))
    const ciphertext = Buffer.concat([cipher.update(seed), cipher.final()])
    const file: KeyFile = {
      version: FILE_VERSION,
      name,
      did: signer.did,
      kdf: { name: 'scrypt', N: this.#scrypt.N, r: this.#scrypt.r, p: this.#scrypt.p, salt: salt.toString('base64') },
      check: passphraseCheck(mac, name).toString('base64'),
      cipher: { name: 'aes-256-gcm', nonce: nonce.toString('base64'), ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64') }
    }
    await this.#ensureDir()
    // write a private temp file, then link it into place: link fails if the name exists, so a key
    // is never overwritten and a crash never leaves a half-written key file under the real name
    const tmp = join(this.dir, `.${name}.key.${randomBytes(6).toString('hex')}.tmp`)
    const fh = await open(tmp, 'wx', 0o600)
    try {
      await fh.writeFile(JSON.stringify(file, null, 2) + '\n')
      await fh.sync()
    } finally {
      await fh.close()
    }
    try {
      await link(tmp, path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyStoreError(KeyStoreErrorCode.KEY_EXISTS, `a key named ${name} already exists in ${this.dir}`)
      throw err
    } finally {
      await unlink(tmp).catch(() => {})
    }
    return signer
  }

  async #ensureDir (): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    const st = await stat(this.dir)
    if ((st.mode & 0o077) !== 0) await chmod(this.dir, 0o700)
  }

  async #read (name: string): Promise<KeyFile> {
    const path = this.#path(name)
    let text: string
    try {
      text = await readRegularFile(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new KeyStoreError(KeyStoreErrorCode.KEY_NOT_FOUND, `no key named ${name} in ${this.dir}`)
      throw err
    }
    const corrupt = (why: string): KeyStoreError => new KeyStoreError(KeyStoreErrorCode.KEY_FILE_CORRUPT, `key file ${path} is corrupt: ${why}`)
    let f: KeyFile
    try {
      f = JSON.parse(text) as KeyFile
    } catch {
      throw corrupt('not JSON')
    }
    if (f == null || typeof f !== 'object' || f.version !== FILE_VERSION) throw corrupt('unknown version')
    if (f.name !== name) throw corrupt(`it names key ${JSON.stringify(String(f.name).slice(0, 64))}`)
    if (typeof f.did !== 'string' || f.kdf?.name !== 'scrypt' || f.cipher?.name !== 'aes-256-gcm') throw corrupt('missing fields')
    const { N, r, p } = f.kdf
    if (!isPowerOfTwo(N) || N > MAX_SCRYPT_N || !Number.isSafeInteger(r) || r < 1 || r > 32 || !Number.isSafeInteger(p) || p < 1 || p > 16) throw corrupt('bad scrypt parameters')
    return f
  }

  async load (name: string): Promise<Ed25519Signer> {
    const f = await this.#read(name)
    const path = join(this.dir, `${name}.key`)
    const corrupt = (why: string): KeyStoreError => new KeyStoreError(KeyStoreErrorCode.KEY_FILE_CORRUPT, `key file ${path} is corrupt: ${why}`)
    const salt = b64(f.kdf.salt)
    const check = b64(f.check, 32)
    const nonce = b64(f.cipher.nonce, 12)
    const ciphertext = b64(f.cipher.ciphertext, 32)
    const tag = b64(f.cipher.tag, 16)
    if (salt == null || salt.length < 16 || check == null || nonce == null || ciphertext == null || tag == null) throw corrupt('bad encoding')
    const { enc, mac } = await deriveKeys(this.#passphrase, salt, { N: f.kdf.N, r: f.kdf.r, p: f.kdf.p })
    if (!timingSafeEqual(passphraseCheck(mac, name), check)) throw new KeyStoreError(KeyStoreErrorCode.WRONG_PASSPHRASE, `wrong passphrase for key ${name}`)
    let seed: Buffer
    try {
      const decipher = createDecipheriv('aes-256-gcm', enc, nonce)
      decipher.setAAD(aad(name, f.did))
      decipher.setAuthTag(tag)
      seed = Buffer.concat([decipher.update(ciphertext), decipher.final()])
    } catch {
      throw corrupt('authentication failed (tampered ciphertext, name or DID)')
    }
    const signer = new Ed25519Signer(seed)
    seed.fill(0)
    if (signer.did !== f.did) throw corrupt('stored DID does not match the key')
    return signer
  }

  async has (name: string): Promise<boolean> {
    const path = this.#path(name)
    try {
      await stat(path)
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw err
    }
  }

  async list (): Promise<string[]> {
    let entries: string[]
    try {
      entries = await readdir(this.dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    return entries.filter(e => e.endsWith('.key')).map(e => e.slice(0, -4)).filter(isValidKeyName).sort()
  }

  async did (name: string): Promise<string> {
    return (await this.#read(name)).did
  }

  toJSON (): { type: string, dir: string } {
    return { type: 'file', dir: this.dir }
  }
}
