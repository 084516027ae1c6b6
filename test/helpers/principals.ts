/**
 * Fixed principals with fixed seeds, so failures reproduce: agents alice, bob, carol, mallory and
 * orgs acme, globex, initech. Seeds are derived from the name; they are test keys only.
 */
import { createHash } from 'node:crypto'
import { Ed25519Signer } from '../../identity/signer.js'

export function seedFor (name: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`trustmesh-test-principal:${name}`).digest())
}

export function principal (name: string): Ed25519Signer {
  return new Ed25519Signer(seedFor(name))
}

export const alice = principal('alice')
export const bob = principal('bob')
export const carol = principal('carol')
export const mallory = principal('mallory')
export const acme = principal('acme')
export const globex = principal('globex')
export const initech = principal('initech')
