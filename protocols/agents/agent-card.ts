/**
 * A2A Agent Cards of mesh agents (DESIGN.md section 12): the org that hosts an agent describes it
 * (name, one skill per ability it holds) and signs the card as A2A section 8.4 asks, a JWS over the
 * card's RFC 8785 canonical JSON with the org key (`kid` = the org's did:key). Anyone can verify a
 * card offline against the org's did:key. Trustmesh data stays inside fields of the card schema
 * (the interface's `tenant` is the agent DID, `provider.url` the org DID): canonicalisation drops
 * anything else, so nothing outside the schema would be covered by the signature.
 */
import { isDidKey, publicKeyFromDidKey } from '../../identity/did-key.js'
import { ed25519PublicKeyObject } from '../../identity/native-ed25519.js'
import { fail, ok, type Result } from '../../identity/result.js'
import type { Signer } from '../../identity/signer.js'

/**
 * The A2A SDK (canonical card JSON, JWS check), loaded the first time a card is signed or verified:
 * it and its JOSE library are ~9 MiB of code that an idle node, or one with no partner yet, never needs.
 */
let sdk: Promise<typeof import('@a2a-js/sdk')> | undefined
const a2aSdk = async (): Promise<typeof import('@a2a-js/sdk')> => await (sdk ??= import('@a2a-js/sdk'))

/** The A2A protocol version the cards declare. */
export const AGENT_CARD_PROTOCOL_VERSION = '1.0'
/** Largest card (JSON) carried by the agents directory. */
export const AGENT_CARD_MAX_BYTES = 16 * 1024

/** An Agent Card in its JSON form (the A2A 1.0 schema, camelCase), with its signatures. */
export interface AgentCardJson {
  name: string
  description: string
  version: string
  provider: { organization: string, url: string }
  supportedInterfaces: Array<{ url: string, protocolBinding: string, protocolVersion: string, tenant: string }>
  capabilities: { streaming: boolean, pushNotifications: boolean }
  defaultInputModes: string[]
  defaultOutputModes: string[]
  skills: Array<{ id: string, name: string, description: string, tags: string[] }>
  signatures?: Array<{ protected: string, signature: string }>
}

export interface AgentCardInput {
  agentDid: string
  name: string
  ring: number
  capabilities: readonly string[]
  orgDid: string
  orgName: string
}

/** What a verified card says: the agent, its org, its abilities. */
export interface VerifiedCard { agentDid: string, orgDid: string, name: string, abilities: string[] }

/** The URL a card names for its agent: a trustmesh URI (the edge that serves it is local to the caller). */
export function agentCardUrl (orgDid: string, agentDid: string): string {
  return `tm:${orgDid}/agents/${agentDid}`
}

export function buildAgentCard (a: AgentCardInput): AgentCardJson {
  return {
    name: a.name,
    description: `Agent ${a.name} (${a.agentDid}) of ${a.orgName}, reachable over trustmesh; every task is checked against its delegation chain at its org's node.`,
    version: '1',
    provider: { organization: a.orgName, url: a.orgDid },
    supportedInterfaces: [{ url: agentCardUrl(a.orgDid, a.agentDid), protocolBinding: 'JSONRPC', protocolVersion: AGENT_CARD_PROTOCOL_VERSION, tenant: a.agentDid }],
    capabilities: { streaming: false, pushNotifications: false },
    defaultInputModes: ['application/json', 'text/plain'],
    defaultOutputModes: ['application/json', 'text/plain'],
    skills: a.capabilities.map(ability => ({ id: ability, name: ability, description: `${ability} (needs a delegation of it; ring ${a.ring} agent)`, tags: [ability.split('/')[0]] }))
  }
}

/** Sign a card with the org's key (any Signer: in memory, PKCS#11, remote). */
export async function signAgentCard (card: AgentCardJson, org: Signer): Promise<AgentCardJson> {
  const { signatures: _old, ...unsigned } = card
  const header = Buffer.from(JSON.stringify({ alg: org.algorithm, kid: org.did, typ: 'JOSE' })).toString('base64url')
  const { canonicalizeAgentCard } = await a2aSdk()
  const payload = Buffer.from(canonicalizeAgentCard(unsigned as never), 'utf8').toString('base64url')
  const sig = await org.sign(new TextEncoder().encode(`${header}.${payload}`))
  return { ...unsigned, signatures: [{ protected: header, signature: Buffer.from(sig).toString('base64url') }] }
}

function kidOf (protectedHeader: string): string | undefined {
  try {
    const h = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString('utf8')) as { kid?: unknown }
    return typeof h.kid === 'string' ? h.kid : undefined
  } catch {
    return undefined
  }
}

/**
 * Verify a card offline: one signature by `expectedOrg` (when given) verifies over the canonical card,
 * and the card names an agent DID and that org. Fails with BAD_CARD (malformed), CARD_WRONG_ORG or
 * CARD_BAD_SIGNATURE.
 */
export async function verifyAgentCard (card: unknown, expectedOrg?: string): Promise<Result<VerifiedCard>> {
  const c = card as Partial<AgentCardJson> | null
  if (c == null || typeof c !== 'object' || typeof c.name !== 'string' || !Array.isArray(c.signatures) || c.signatures.length === 0) return fail('BAD_CARD', 'not a signed Agent Card')
  const agentDid = c.supportedInterfaces?.[0]?.tenant
  const orgDid = c.provider?.url
  if (!isDidKey(agentDid) || !isDidKey(orgDid)) return fail('BAD_CARD', 'the card names no agent did:key (interface tenant) or org did:key (provider url)')
  if (expectedOrg != null && orgDid !== expectedOrg) return fail('CARD_WRONG_ORG', `the card is of org ${orgDid}, expected ${expectedOrg}`)
  if (Buffer.byteLength(JSON.stringify(c)) > AGENT_CARD_MAX_BYTES) return fail('BAD_CARD', `card larger than ${AGENT_CARD_MAX_BYTES} bytes`)
  // only signatures by the org itself count; the SDK verifies the JWS over the canonical card
  const own = c.signatures.filter(s => s != null && typeof s.protected === 'string' && kidOf(s.protected) === orgDid)
  if (own.length === 0) return fail('CARD_BAD_SIGNATURE', `no signature on the card by its org ${orgDid}`)
  const { verifyAgentCardSignature } = await a2aSdk()
  const verify = verifyAgentCardSignature(async (kid) => {
    if (kid !== orgDid) throw new Error(`signature key ${kid} is not the card's org`)
    return ed25519PublicKeyObject(publicKeyFromDidKey(kid))
  })
  try {
    await quietly(async () => { await verify({ ...c, signatures: own } as never) })
  } catch {
    return fail('CARD_BAD_SIGNATURE', `the card of ${c.name} does not verify against its org ${orgDid}`)
  }
  return ok({ agentDid, orgDid, name: c.name, abilities: (c.skills ?? []).map(s => s.id) })
}

/** The SDK logs each failed entry with console.debug (on stdout); edges keep stdout for their protocol. */
async function quietly (fn: () => Promise<void>): Promise<void> {
  const saved = console.debug
  console.debug = () => {}
  try { await fn() } finally { console.debug = saved }
}
