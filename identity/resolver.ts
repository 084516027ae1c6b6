/**
 * DID resolution for did-jwt: a did-resolver `Resolver` that knows the `key` method only. The DID
 * document of an Ed25519 did:key is built locally from the strictly parsed key; every other method
 * fails with `unsupportedDidMethod` and nothing here ever touches the network.
 */
import { Resolver, type DIDDocument, type DIDResolutionResult, type ParsedDID, type ResolverRegistry } from 'did-resolver'
import { base58btc } from 'multiformats/bases/base58'
import { parseDidKey } from './did-key.js'

const DID_JSON = 'application/did+json'

/** The DID document of an Ed25519 did:key (one Ed25519VerificationKey2018 method, `#<multibase id>`). */
export function didKeyDocument (did: string, publicKey: Uint8Array): DIDDocument {
  const id = did.slice('did:key:'.length)
  const vmId = `${did}#${id}`
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/ed25519-2018/v1'],
    id: did,
    verificationMethod: [{
      id: vmId,
      type: 'Ed25519VerificationKey2018',
      controller: did,
      // base58btc.encode adds the multibase 'z' prefix; publicKeyBase58 is bare base58
      publicKeyBase58: base58btc.encode(publicKey).slice(1)
    }],
    authentication: [vmId],
    assertionMethod: [vmId],
    capabilityDelegation: [vmId],
    capabilityInvocation: [vmId]
  }
}

function errorResult (error: string, message: string): DIDResolutionResult {
  return { didResolutionMetadata: { error, message }, didDocument: null, didDocumentMetadata: {} }
}

/** did-resolver method driver for did:key (Ed25519 only). */
export async function resolveDidKey (did: string, _parsed?: ParsedDID): Promise<DIDResolutionResult> {
  const key = parseDidKey(did)
  if (!key.ok) return errorResult('invalidDid', `${key.error.code}: ${key.error.message}`)
  return { didResolutionMetadata: { contentType: DID_JSON }, didDocument: didKeyDocument(did, key.value), didDocumentMetadata: {} }
}

export function keyOnlyRegistry (): ResolverRegistry {
  return { key: async (did, parsed) => await resolveDidKey(did, parsed) }
}

/** A resolver that resolves did:key and refuses every other method, offline. Caching off: resolution is pure. */
export function createKeyResolver (): Resolver {
  return new Resolver(keyOnlyRegistry(), { cache: false })
}
