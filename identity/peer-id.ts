/**
 * libp2p PeerIds of Ed25519 keys. A node's PeerId is the identity multihash of its protobuf-encoded
 * Ed25519 public key (`12D3KooW...`); NodeCredentials bind that string to an org DID, so parsing is
 * strict: only the canonical base58btc form of an Ed25519 PeerId is accepted.
 */
import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import type { Ed25519PeerId, Ed25519PrivateKey, PeerId } from '@libp2p/interface'
import { fail, ok, type Result } from './result.js'

export const PeerIdErrorCode = {
  INVALID_PEER_ID: 'INVALID_PEER_ID',
  UNSUPPORTED_PEER_ID_KEY_TYPE: 'UNSUPPORTED_PEER_ID_KEY_TYPE'
} as const

/** Longest Ed25519 PeerId string is 52 characters; refuse absurd input before decoding. */
const MAX_PEER_ID_LENGTH = 128

/** The PeerId of a raw 32-byte Ed25519 public key. Throws RangeError for any other length. */
export function peerIdFromPublicKeyBytes (pub: Uint8Array): PeerId {
  if (pub.length !== 32) throw new RangeError(`Ed25519 public key must be 32 bytes, got ${pub.length}`)
  const key = publicKeyFromRaw(pub)
  if (key.type !== 'Ed25519') throw new RangeError('not an Ed25519 public key')
  return peerIdFromPublicKey(key)
}

export function peerIdStringFromPublicKey (pub: Uint8Array): string {
  return peerIdFromPublicKeyBytes(pub).toString()
}

/** The libp2p private key for a 32-byte Ed25519 seed: what `createLibp2p({ privateKey })` takes. */
export async function libp2pPrivateKeyFromSeed (seed: Uint8Array): Promise<Ed25519PrivateKey> {
  if (seed.length !== 32) throw new RangeError(`Ed25519 seed must be 32 bytes, got ${seed.length}`)
  return await generateKeyPairFromSeed('Ed25519', seed)
}

/** Strictly parse a PeerId string and return the raw Ed25519 public key it embeds. */
export function publicKeyFromPeerIdString (s: unknown): Result<Uint8Array> {
  if (typeof s !== 'string' || s.length === 0) return fail(PeerIdErrorCode.INVALID_PEER_ID, 'PeerId must be a non-empty string')
  if (s.length > MAX_PEER_ID_LENGTH) return fail(PeerIdErrorCode.INVALID_PEER_ID, `PeerId is too long (${s.length} characters)`)
  let peer: PeerId
  try {
    peer = peerIdFromString(s)
  } catch {
    return fail(PeerIdErrorCode.INVALID_PEER_ID, `not a PeerId: ${JSON.stringify(s.slice(0, 64))}`)
  }
  if (peer.type !== 'Ed25519') return fail(PeerIdErrorCode.UNSUPPORTED_PEER_ID_KEY_TYPE, `PeerId ${s.slice(0, 64)} is a ${peer.type} key, expected Ed25519`)
  const raw = (peer as Ed25519PeerId).publicKey.raw
  if (raw.length !== 32) return fail(PeerIdErrorCode.INVALID_PEER_ID, `PeerId embeds ${raw.length} key bytes, expected 32`)
  // one PeerId, one spelling: CID forms and any non-canonical encodings are refused
  if (peer.toString() !== s) return fail(PeerIdErrorCode.INVALID_PEER_ID, 'PeerId is not in canonical base58btc form')
  return ok(Uint8Array.from(raw))
}

export function isPeerIdString (s: unknown): s is string {
  return publicKeyFromPeerIdString(s).ok
}
