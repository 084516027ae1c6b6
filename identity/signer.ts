/**
 * A Signer signs with a key it may never reveal. Everything that issues tokens takes a Signer, so
 * a hardware key or a remote signer can replace the in-memory Ed25519 key without other changes.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto'
import { didKeyFromPublicKey } from './did-key.js'

export interface Signer {
  /** The signer's did:key. */
  readonly did: string
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
  /** JOSE algorithm of the signatures, always `EdDSA` here. */
  readonly algorithm: 'EdDSA'
  /** Raw 64-byte Ed25519 signature over `data`. */
  sign: (data: Uint8Array) => Promise<Uint8Array>
}

// PKCS#8 DER prefix for an Ed25519 private key seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

export function privateKeyObjectFromSeed (seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new RangeError(`Ed25519 seed must be 32 bytes, got ${seed.length}`)
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seed)]), format: 'der', type: 'pkcs8' })
}

export function rawPublicKeyFromKeyObject (key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' })
  if (jwk.x == null) throw new TypeError('not an Ed25519 key')
  return new Uint8Array(Buffer.from(jwk.x, 'base64url'))
}

/** An in-process Ed25519 key. The seed stays inside the closure and is never exposed by the object. */
export class Ed25519Signer implements Signer {
  readonly did: string
  readonly publicKey: Uint8Array
  readonly algorithm = 'EdDSA' as const
  readonly #key: KeyObject
  readonly #seed: Uint8Array

  constructor (seed: Uint8Array) {
    this.#seed = Uint8Array.from(seed)
    this.#key = privateKeyObjectFromSeed(seed)
    this.publicKey = rawPublicKeyFromKeyObject(createPublicKey(this.#key))
    this.did = didKeyFromPublicKey(this.publicKey)
  }

  static generate (): Ed25519Signer {
    const { privateKey } = generateKeyPairSync('ed25519')
    const jwk = privateKey.export({ format: 'jwk' })
    return new Ed25519Signer(new Uint8Array(Buffer.from(jwk.d as string, 'base64url')))
  }

  async sign (data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(cryptoSign(null, data, this.#key))
  }

  /** The 32-byte seed, for the encrypted key store and libp2p key conversion only. Never log it. */
  exportSeed (): Uint8Array {
    return Uint8Array.from(this.#seed)
  }

  toJSON (): { did: string } {
    return { did: this.did }
  }
}
