/**
 * Test-only token forging: build compact JWTs with any header, payload and signing method
 * (Ed25519 key, `none`, HS256 keyed with a public key), to feed the verifiers bad input.
 */
import { createHmac } from 'node:crypto'
import type { Signer } from '../../identity/signer.js'
import { CREDENTIALS_V1_CONTEXT } from '../../identity/credential-types.js'
import type { Clock } from '../../identity/clock.js'
import { nowSeconds } from '../../identity/clock.js'

export type Json = Record<string, unknown>

const b64 = (o: unknown): string => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url')

export type SignWith = Signer | { none: true } | { hs256Key: Uint8Array }

export async function forge (header: Json, payload: Json, signWith: SignWith): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`
  if ('none' in signWith) return `${input}.`
  if ('hs256Key' in signWith) return `${input}.${createHmac('sha256', signWith.hs256Key).update(input).digest('base64url')}`
  const sig = await signWith.sign(new Uint8Array(Buffer.from(input, 'ascii')))
  return `${input}.${Buffer.from(sig).toString('base64url')}`
}

export const EDDSA = { alg: 'EdDSA', typ: 'JWT' }

/** A valid AgentCredential payload (issuer org DID, agent DID) at the clock's now, ttl 1 h. */
export function agentPayload (org: string, agent: string, clock: Clock, over: Json = {}, subject: Json = {}): Json {
  const now = nowSeconds(clock)
  return {
    iat: now,
    nbf: now,
    exp: now + 3600,
    sub: agent,
    jti: 'urn:uuid:00000000-0000-4000-8000-000000000001',
    vc: {
      '@context': [CREDENTIALS_V1_CONTEXT],
      type: ['VerifiableCredential', 'AgentCredential'],
      credentialSubject: { id: agent, name: 'alice', ring: 2, capabilities: ['records/read', 'orders/*'], org, ...subject }
    },
    iss: org,
    ...over
  }
}

export function nodePayload (org: string, peerId: string, clock: Clock, over: Json = {}, subject: Json = {}): Json {
  const now = nowSeconds(clock)
  return {
    iat: now,
    exp: now + 3600,
    sub: peerId,
    jti: 'urn:uuid:00000000-0000-4000-8000-000000000002',
    vc: {
      '@context': [CREDENTIALS_V1_CONTEXT],
      type: ['VerifiableCredential', 'NodeCredential'],
      credentialSubject: { id: peerId, org, orgName: 'Acme', ...subject }
    },
    iss: org,
    ...over
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Every single-character change of a token: each position replaced by the next base64url character. */
export function* everyCharFlip (token: string): Generator<{ index: number, token: string }> {
  for (let i = 0; i < token.length; i++) {
    const c = token[i]
    const k = ALPHABET.indexOf(c)
    const next = k < 0 ? 'A' : ALPHABET[(k + 1) % ALPHABET.length]
    yield { index: i, token: token.slice(0, i) + next + token.slice(i + 1) }
  }
}

/** Every single-bit flip (low bit) of each character of a token, as raw bytes would be flipped. */
export function* everyBitFlip (token: string): Generator<{ index: number, token: string }> {
  for (let i = 0; i < token.length; i++) {
    yield { index: i, token: token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ 1) + token.slice(i + 1) }
  }
}
