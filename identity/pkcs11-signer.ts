/**
 * An Ed25519 key held in a PKCS#11 token (an HSM, or SoftHSM2 in tests), used through the same
 * Signer interface as a file key. The private key is generated on the token (CKM_EC_EDWARDS_KEY_PAIR_GEN
 * with the Ed25519 OID as CKA_EC_PARAMS), sensitive and non-extractable: it never leaves the token;
 * every signature is one CKM_EDDSA operation on it. A missing module or token, a wrong PIN or a
 * missing key is a Pkcs11KeyError with a stable code: there is never a fallback to another key.
 */
import { createRequire } from 'node:module'
import { createPublicKey, verify as cryptoVerify, randomBytes } from 'node:crypto'
import { didKeyFromPublicKey } from './did-key.js'
import type { Signer } from './signer.js'

export const Pkcs11ErrorCode = {
  PKCS11_MODULE_UNAVAILABLE: 'PKCS11_MODULE_UNAVAILABLE',
  TOKEN_NOT_FOUND: 'TOKEN_NOT_FOUND',
  WRONG_PIN: 'WRONG_PIN',
  PIN_LOCKED: 'PIN_LOCKED',
  KEY_NOT_FOUND: 'KEY_NOT_FOUND',
  KEY_AMBIGUOUS: 'KEY_AMBIGUOUS',
  KEY_NOT_ED25519: 'KEY_NOT_ED25519',
  PKCS11_FAILED: 'PKCS11_FAILED'
} as const

export class Pkcs11KeyError extends Error {
  override readonly name = 'Pkcs11KeyError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

/** Where a token key lives: the module (shared library), the token label and the key label. */
export interface Pkcs11KeyRef {
  module: string
  token: string
  label: string
}

export interface OpenPkcs11Options extends Pkcs11KeyRef {
  pin: string
  /** Generate the key pair when no key has this label (init); default false (start: it must exist). */
  createIfMissing?: boolean
  signal?: AbortSignal
}

// PKCS#11 3.0 values pkcs11js does not name
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055
const CKM_EDDSA = 0x1057
const CKK_EC_EDWARDS = 0x40
/** DER of OID 1.3.101.112 (id-Ed25519, RFC 8410). */
export const ED25519_OID_DER = Buffer.from('06032b6570', 'hex')
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/* eslint-disable @typescript-eslint/no-explicit-any */
type Pkcs11Module = any
type Pkcs11Lib = any

const require = createRequire(import.meta.url)
let pkcs11js: Pkcs11Module | undefined

function binding (): Pkcs11Module {
  if (pkcs11js != null) return pkcs11js
  try {
    pkcs11js = require('pkcs11js')
  } catch (err) {
    throw new Pkcs11KeyError(Pkcs11ErrorCode.PKCS11_MODULE_UNAVAILABLE, `the pkcs11js package is not installed or did not build: ${(err as Error).message}`)
  }
  return pkcs11js
}

/**
 * A PKCS#11 library is initialised once per process (C_Initialize is process-wide), so loaded
 * libraries are shared by path and finalised when the last signer using one closes.
 */
const loaded = new Map<string, { lib: Pkcs11Lib, users: number }>()

function acquire (module: string): Pkcs11Lib {
  const have = loaded.get(module)
  if (have != null) { have.users++; return have.lib }
  const p = binding()
  const lib = new p.PKCS11()
  try {
    lib.load(module)
  } catch (err) {
    throw new Pkcs11KeyError(Pkcs11ErrorCode.PKCS11_MODULE_UNAVAILABLE, `cannot load PKCS#11 module ${module}: ${(err as Error).message}`)
  }
  try {
    lib.C_Initialize()
  } catch (err) {
    if ((err as { code?: number }).code !== p.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw failed(err, `C_Initialize of ${module}`)
  }
  loaded.set(module, { lib, users: 1 })
  return lib
}

function release (module: string): void {
  const have = loaded.get(module)
  if (have == null) return
  if (--have.users > 0) return
  loaded.delete(module)
  try { have.lib.C_Finalize() } catch { /* already finalised */ }
  try { have.lib.close() } catch { /* nothing to unload */ }
}

function failed (err: unknown, what: string): Pkcs11KeyError {
  const p = binding()
  const code = (err as { code?: number }).code
  if (code === p.CKR_PIN_INCORRECT) return new Pkcs11KeyError(Pkcs11ErrorCode.WRONG_PIN, `${what}: wrong PIN (CKR_PIN_INCORRECT)`)
  if (code === p.CKR_PIN_LOCKED) return new Pkcs11KeyError(Pkcs11ErrorCode.PIN_LOCKED, `${what}: the token's user PIN is locked (CKR_PIN_LOCKED)`)
  if (code === p.CKR_TOKEN_NOT_PRESENT || code === p.CKR_DEVICE_REMOVED) return new Pkcs11KeyError(Pkcs11ErrorCode.TOKEN_NOT_FOUND, `${what}: the token is not present`)
  return new Pkcs11KeyError(Pkcs11ErrorCode.PKCS11_FAILED, `${what} failed: ${(err as Error).message}`)
}

function findSlot (lib: Pkcs11Lib, ref: Pkcs11KeyRef): Buffer {
  const labels: string[] = []
  for (const slot of lib.C_GetSlotList(true) as Buffer[]) {
    const label = String(lib.C_GetTokenInfo(slot).label).replace(/\0/g, '').trim()
    if (label === ref.token) return slot
    labels.push(label)
  }
  throw new Pkcs11KeyError(Pkcs11ErrorCode.TOKEN_NOT_FOUND, `no token labelled ${JSON.stringify(ref.token)} in ${ref.module} (tokens present: ${labels.length > 0 ? labels.map(l => JSON.stringify(l)).join(', ') : 'none'})`)
}

function findObjects (lib: Pkcs11Lib, session: Buffer, template: Array<{ type: number, value?: unknown }>): Buffer[] {
  lib.C_FindObjectsInit(session, template)
  try {
    return lib.C_FindObjects(session, 16) as Buffer[]
  } finally {
    lib.C_FindObjectsFinal(session)
  }
}

/** The 32-byte Ed25519 key from CKA_EC_POINT (a DER OCTET STRING, or the raw point). */
function rawFromEcPoint (point: Buffer): Uint8Array {
  if (point.length === 32) return new Uint8Array(point)
  if (point.length === 34 && point[0] === 0x04 && point[1] === 0x20) return new Uint8Array(point.subarray(2))
  throw new Pkcs11KeyError(Pkcs11ErrorCode.KEY_NOT_ED25519, `CKA_EC_POINT of ${point.length} bytes is not an Ed25519 public key`)
}

/** A Signer whose private key stays in the token. `close()` ends the session (the node's stop). */
export class Pkcs11Signer implements Signer {
  readonly did: string
  readonly publicKey: Uint8Array
  readonly algorithm = 'EdDSA' as const
  readonly location: Pkcs11KeyRef
  readonly #lib: Pkcs11Lib
  readonly #session: Buffer
  readonly #key: Buffer
  #closed = false

  constructor (ref: Pkcs11KeyRef, lib: Pkcs11Lib, session: Buffer, key: Buffer, publicKey: Uint8Array) {
    this.location = { module: ref.module, token: ref.token, label: ref.label }
    this.#lib = lib
    this.#session = session
    this.#key = key
    this.publicKey = publicKey
    this.did = didKeyFromPublicKey(publicKey)
  }

  async sign (data: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) throw new Pkcs11KeyError(Pkcs11ErrorCode.PKCS11_FAILED, `the PKCS#11 session for key ${this.location.label} is closed`)
    // one synchronous init+sign pair: a session runs one operation at a time
    try {
      this.#lib.C_SignInit(this.#session, { mechanism: CKM_EDDSA }, this.#key)
      return new Uint8Array(this.#lib.C_Sign(this.#session, Buffer.from(data), Buffer.alloc(64)))
    } catch (err) {
      throw failed(err, `signing with ${this.location.label} on token ${this.location.token}`)
    }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try { this.#lib.C_CloseSession(this.#session) } catch { /* token gone */ }
    release(this.location.module)
  }

  toJSON (): { did: string, pkcs11: Pkcs11KeyRef } {
    return { did: this.did, pkcs11: this.location }
  }
}

/**
 * Open the key labelled `label` on the token labelled `token` (or generate it there with
 * `createIfMissing`), log in with `pin` and prove the pair signs what node:crypto verifies.
 */
export async function openPkcs11Signer (opts: OpenPkcs11Options): Promise<{ signer: Pkcs11Signer, created: boolean }> {
  opts.signal?.throwIfAborted()
  const p = binding()
  const lib = acquire(opts.module)
  let session: Buffer | undefined
  try {
    const slot = findSlot(lib, opts)
    try {
      session = lib.C_OpenSession(slot, p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION) as Buffer
    } catch (err) { throw failed(err, `opening a session on token ${opts.token}`) }
    try {
      lib.C_Login(session, p.CKU_USER, opts.pin)
    } catch (err) {
      if ((err as { code?: number }).code !== p.CKR_USER_ALREADY_LOGGED_IN) throw failed(err, `login to token ${opts.token}`)
    }
    const label = Buffer.from(opts.label, 'utf8')
    let privs = findObjects(lib, session, [{ type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY }, { type: p.CKA_LABEL, value: label }])
    let created = false
    if (privs.length === 0) {
      if (opts.createIfMissing !== true) throw new Pkcs11KeyError(Pkcs11ErrorCode.KEY_NOT_FOUND, `no private key labelled ${JSON.stringify(opts.label)} on token ${JSON.stringify(opts.token)}`)
      const id = randomBytes(16)
      try {
        lib.C_GenerateKeyPair(session, { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN }, [
          { type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY }, { type: p.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
          { type: p.CKA_TOKEN, value: true }, { type: p.CKA_VERIFY, value: true },
          { type: p.CKA_EC_PARAMS, value: ED25519_OID_DER }, { type: p.CKA_LABEL, value: label }, { type: p.CKA_ID, value: id }
        ], [
          { type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY }, { type: p.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
          { type: p.CKA_TOKEN, value: true }, { type: p.CKA_PRIVATE, value: true }, { type: p.CKA_SIGN, value: true },
          { type: p.CKA_SENSITIVE, value: true }, { type: p.CKA_EXTRACTABLE, value: false },
          { type: p.CKA_LABEL, value: label }, { type: p.CKA_ID, value: id }
        ])
      } catch (err) { throw failed(err, `generating an Ed25519 key on token ${opts.token}`) }
      created = true
      privs = findObjects(lib, session, [{ type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY }, { type: p.CKA_LABEL, value: label }])
    }
    if (privs.length > 1) throw new Pkcs11KeyError(Pkcs11ErrorCode.KEY_AMBIGUOUS, `${privs.length} private keys are labelled ${JSON.stringify(opts.label)} on token ${JSON.stringify(opts.token)}`)
    const pubs = findObjects(lib, session, [{ type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY }, { type: p.CKA_LABEL, value: label }])
    if (pubs.length !== 1) throw new Pkcs11KeyError(Pkcs11ErrorCode.KEY_NOT_FOUND, `expected one public key labelled ${JSON.stringify(opts.label)} on token ${JSON.stringify(opts.token)}, found ${pubs.length}`)
    const [params, point] = lib.C_GetAttributeValue(session, pubs[0], [{ type: p.CKA_EC_PARAMS }, { type: p.CKA_EC_POINT }]) as Array<{ value: Buffer }>
    if (!Buffer.from(params.value).equals(ED25519_OID_DER)) throw new Pkcs11KeyError(Pkcs11ErrorCode.KEY_NOT_ED25519, `key ${opts.label} on token ${opts.token} is not Ed25519`)
    const publicKey = rawFromEcPoint(Buffer.from(point.value))
    const signer = new Pkcs11Signer(opts, lib, session, privs[0], publicKey)
    // the pair must sign what node:crypto verifies with the public half we will publish
    const probe = randomBytes(32)
    const sig = await signer.sign(probe)
    const spki = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(publicKey)]), format: 'der', type: 'spki' })
    if (!cryptoVerify(null, probe, spki, Buffer.from(sig))) throw new Pkcs11KeyError(Pkcs11ErrorCode.KEY_NOT_ED25519, `key ${opts.label} on token ${opts.token}: its signature does not verify under its public key`)
    return { signer, created }
  } catch (err) {
    if (session != null) { try { lib.C_CloseSession(session) } catch { /* ignore */ } }
    release(opts.module)
    throw err
  }
}
