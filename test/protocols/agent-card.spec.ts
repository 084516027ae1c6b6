/**
 * Agent Cards signed by their org (A2A section 8.4): the org's card verifies offline against its
 * did:key (also with the SDK's own verifier); an altered card, a card signed by another key, and a
 * card of another org are refused with their codes. The A2A bridge refuses to serve such a card and
 * sends nothing under it.
 */
import { expect } from 'chai'
import { verifyAgentCardSignature } from '@a2a-js/sdk'
import { buildAgentCard, signAgentCard, verifyAgentCard, type AgentCardJson } from '../../protocols/agents/agent-card.js'
import { ed25519PublicKeyObject } from '../../identity/native-ed25519.js'
import { publicKeyFromDidKey } from '../../identity/did-key.js'
import { silentLogger } from '../../identity/logger.js'
import { startA2ABridge } from '../../client/a2a/a2a-bridge.js'
import type { Agent } from '../../client/agent.js'
import { alice, bob, globex, mallory, acme } from '../helpers/principals.js'

async function bobsCard (): Promise<AgentCardJson> {
  return await signAgentCard(buildAgentCard({ agentDid: bob.did, name: 'bob', ring: 2, capabilities: ['records/read'], orgDid: globex.did, orgName: 'globex' }), globex)
}

describe('agent cards signed by their org', () => {
  it('verifies offline against the org did:key, with ours and with the SDK verifier', async () => {
    const card = await bobsCard()
    const v = await verifyAgentCard(card, globex.did)
    expect(v.ok && v.value).to.deep.equal({ agentDid: bob.did, orgDid: globex.did, name: 'bob', abilities: ['records/read'] })
    await verifyAgentCardSignature(async (kid) => ed25519PublicKeyObject(publicKeyFromDidKey(kid)))(card as never)
  })

  it('refuses an altered card, a forged signature and another org\'s card', async () => {
    const card = await bobsCard()
    const altered = { ...card, skills: [...card.skills, { id: 'payments/send', name: 'payments/send', description: 'x', tags: ['payments'] }] }
    const a = await verifyAgentCard(altered, globex.did)
    expect(!a.ok && a.error.code).to.equal('CARD_BAD_SIGNATURE')
    // mallory signs a card naming globex as its org, with kid = globex: the signature does not verify
    const bySomeoneElse = await signAgentCard(buildAgentCard({ agentDid: bob.did, name: 'bob', ring: 1, capabilities: ['payments/send'], orgDid: globex.did, orgName: 'globex' }), { ...mallory, did: globex.did, sign: async (d: Uint8Array) => await mallory.sign(d) } as never)
    const f = await verifyAgentCard(bySomeoneElse, globex.did)
    expect(!f.ok && f.error.code).to.equal('CARD_BAD_SIGNATURE')
    const w = await verifyAgentCard(card, acme.did)
    expect(!w.ok && w.error.code).to.equal('CARD_WRONG_ORG')
    const unsigned = await verifyAgentCard({ ...card, signatures: [] }, globex.did)
    expect(!unsigned.ok && unsigned.error.code).to.equal('BAD_CARD')
  })

  it('the A2A bridge serves a good card, refuses to serve an altered one and sends nothing under it', async () => {
    const good = await bobsCard()
    const altered = { ...good, name: 'bob-the-admin' }
    let sent = 0
    let card: AgentCardJson = good
    const stub = {
      did: alice.did,
      directory: async () => [{ did: bob.did, name: 'bob', org: globex.did, ring: 2, capabilities: ['records/read'], card }],
      send: async () => { sent++; throw new Error('not reached') }
    } as unknown as Agent
    const bridge = await startA2ABridge(stub, { logger: silentLogger(), listen: { host: '127.0.0.1', port: 0 }, directoryTtlMs: 0 })
    try {
      const url = `${bridge.agentUrl(bob.did)}/.well-known/agent-card.json`
      const ok = await fetch(url)
      expect(ok.status).to.equal(200)
      expect(await ok.json()).to.deep.equal(good)
      card = altered
      const refused = await fetch(url)
      expect(refused.status).to.equal(502)
      expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal('CARD_BAD_SIGNATURE')
      const rpc = await fetch(bridge.agentUrl(bob.did), { method: 'POST', headers: { 'content-type': 'application/json', 'a2a-version': '1.0' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: 'm1', role: 'ROLE_USER', parts: [{ text: 'hi' }] } } }) })
      expect(rpc.status).to.equal(502)
      expect(sent).to.equal(0)
    } finally {
      await bridge.close()
    }
  })
})
