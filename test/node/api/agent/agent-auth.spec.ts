/**
 * The agent API's authenticator (node/api/agent/agent-auth.ts), driven in process with an injected
 * clock and a fake agent registry: one accepted proof, then every refusal with its stable code and
 * status (expired, from the future, signed before the node started, wrong audience, wrong body, wrong
 * method, wrong path or query, unknown agent, replayed nonce, bad signature, missing and malformed
 * headers). Each refusal changes one thing of a proof the accepted case shows is otherwise good.
 */
import { expect } from 'chai'
import { createAgentAuthenticator, AGENT_NODE_PATH } from '../../../../node/api/agent/agent-auth.js'
import type { RawRequest } from '../../../../node/api/control-server.js'
import { ControlRouteError } from '../../../../node/api/errors.js'
import {
  AGENT_PROOF_HEADER, AGENT_PROOF_MAX_AGE_S, AGENT_PROOF_FUTURE_S, AGENT_PROOF_TYP, bodyDigest, signAgentProof
} from '../../../../identity/agent-proof.js'
import { signJwt, type JsonObject } from '../../../../identity/jwt.js'
import { Ed25519Signer, type Signer } from '../../../../identity/signer.js'

const STARTED_MS = 1_700_000_000_000
/** Ten minutes after the start: proofs a minute old were still signed after the node started. */
const NOW_MS = STARTED_MS + 600_000
const NOW_S = Math.floor(NOW_MS / 1000)

const node = Ed25519Signer.generate()
const otherNode = Ed25519Signer.generate()
const agent = Ed25519Signer.generate()
const stranger = Ed25519Signer.generate()

const PATH = '/v1/agent/tasks?x=1'
const BODY = Buffer.from(JSON.stringify({ to: 'did:key:z6Mkpeer', ability: 'records/read' }))

interface Harness {
  auth: (req: RawRequest) => Promise<string | undefined>
  clock: { nowMs: number }
  hostsAsked: string[]
}

function harness (): Harness {
  const clock = { nowMs: NOW_MS }
  const hostsAsked: string[] = []
  const auth = createAgentAuthenticator({
    agents: { hosts: async (did: string) => { hostsAsked.push(did); return did === agent.did } },
    nodeDid: node.did,
    clock: { now: () => clock.nowMs },
    startedAt: STARTED_MS
  })
  return { auth, clock, hostsAsked }
}

interface Proof { signer?: Signer, method?: string, path?: string, body?: Uint8Array, audience?: string, iat?: number }

async function proof (p: Proof = {}): Promise<string> {
  return await signAgentProof(p.signer ?? agent, {
    method: p.method ?? 'POST',
    path: p.path ?? PATH,
    body: p.body ?? BODY,
    audience: p.audience ?? node.did
  }, p.iat ?? NOW_S)
}

/** A proof with payload or header fields replaced, signed like signAgentProof does otherwise. */
async function crafted (payload: JsonObject, header: JsonObject = { typ: AGENT_PROOF_TYP }, signer: Signer = agent): Promise<string> {
  return await signJwt({
    iss: agent.did,
    aud: node.did,
    htm: 'POST',
    htu: PATH,
    bd: bodyDigest(BODY),
    iat: NOW_S,
    jti: 'n0nce-0123456789abcdef',
    ...payload
  }, signer, header)
}

function request (header: string | string[] | undefined, r: { method?: string, path?: string, body?: Buffer } = {}): RawRequest {
  return {
    method: r.method ?? 'POST',
    path: r.path ?? PATH,
    headers: header === undefined ? {} : { [AGENT_PROOF_HEADER]: header },
    body: r.body ?? BODY
  }
}

async function expectRefused (p: Promise<unknown>, code: string, status = 401): Promise<ControlRouteError> {
  let caught: unknown
  try {
    const v = await p
    expect.fail(`expected ${code}, the proof was accepted as ${String(v)}`)
  } catch (err) {
    caught = err
  }
  expect(caught).to.be.instanceOf(ControlRouteError, String(caught))
  const e = caught as ControlRouteError
  expect({ code: e.code, status: e.status }, e.message).to.deep.equal({ code, status })
  return e
}

describe('agent API authentication (agent proofs)', () => {
  let h: Harness
  beforeEach(() => { h = harness() })

  describe('accepted', () => {
    it('a fresh proof from a local agent over this exact request names the agent', async () => {
      expect(await h.auth(request(await proof()))).to.equal(agent.did)
      expect(h.hostsAsked).to.deep.equal([agent.did])
    })

    it('a proof with no body, for GET, signed over the empty body', async () => {
      const jwt = await proof({ method: 'GET', path: '/v1/agent/me', body: new Uint8Array(0) })
      expect(await h.auth(request(jwt, { method: 'GET', path: '/v1/agent/me', body: Buffer.alloc(0) }))).to.equal(agent.did)
    })

    it(`a proof exactly ${AGENT_PROOF_MAX_AGE_S} s old, and one ${AGENT_PROOF_FUTURE_S} s ahead (the edges)`, async () => {
      expect(await h.auth(request(await proof({ iat: NOW_S - AGENT_PROOF_MAX_AGE_S })))).to.equal(agent.did)
      expect(await h.auth(request(await proof({ iat: NOW_S + AGENT_PROOF_FUTURE_S })))).to.equal(agent.did)
    })

    it('the first value when the header is repeated', async () => {
      expect(await h.auth(request([await proof(), 'garbage']))).to.equal(agent.did)
    })

    it('GET /v1/agent/node without a proof (the audience to sign for), and nothing else', async () => {
      expect(await h.auth(request(undefined, { method: 'GET', path: AGENT_NODE_PATH, body: Buffer.alloc(0) }))).to.equal(undefined)
      await expectRefused(h.auth(request(undefined, { method: 'POST', path: AGENT_NODE_PATH })), 'PROOF_MISSING')
      await expectRefused(h.auth(request(undefined, { method: 'GET', path: AGENT_NODE_PATH + '?x=1', body: Buffer.alloc(0) })), 'PROOF_MISSING')
    })
  })

  describe('refused, with its code', () => {
    it('PROOF_EXPIRED: issued more than the allowed age ago', async () => {
      await expectRefused(h.auth(request(await proof({ iat: NOW_S - AGENT_PROOF_MAX_AGE_S - 1 }))), 'PROOF_EXPIRED')
    })

    it('PROOF_EXPIRED: a proof accepted once is expired, not replayed, once the clock moves past its age', async () => {
      const jwt = await proof()
      expect(await h.auth(request(jwt))).to.equal(agent.did)
      h.clock.nowMs += (AGENT_PROOF_MAX_AGE_S + 1) * 1000
      await expectRefused(h.auth(request(jwt)), 'PROOF_EXPIRED')
    })

    it('PROOF_EXPIRED: signed before this node started (within the age, but its nonce cannot be checked)', async () => {
      h.clock.nowMs = STARTED_MS + 10_000
      await expectRefused(h.auth(request(await proof({ iat: Math.floor(STARTED_MS / 1000) - 1 }))), 'PROOF_EXPIRED')
      expect(await h.auth(request(await proof({ iat: Math.floor(STARTED_MS / 1000) })))).to.equal(agent.did)
    })

    it('PROOF_FROM_FUTURE: issued further ahead than the tolerated clock difference', async () => {
      await expectRefused(h.auth(request(await proof({ iat: NOW_S + AGENT_PROOF_FUTURE_S + 1 }))), 'PROOF_FROM_FUTURE')
      await expectRefused(h.auth(request(await proof({ iat: NOW_S + 3600 }))), 'PROOF_FROM_FUTURE')
    })

    it('PROOF_WRONG_AUDIENCE: signed for another node DID', async () => {
      await expectRefused(h.auth(request(await proof({ audience: otherNode.did }))), 'PROOF_WRONG_AUDIENCE')
    })

    it('PROOF_WRONG_BODY: signed over a different body', async () => {
      const jwt = await proof({ body: Buffer.from(JSON.stringify({ to: 'did:key:z6Mkother', ability: 'records/read' })) })
      await expectRefused(h.auth(request(jwt)), 'PROOF_WRONG_BODY')
    })

    it('PROOF_WRONG_BODY: signed over no body, sent with one (and the reverse)', async () => {
      await expectRefused(h.auth(request(await proof({ body: new Uint8Array(0) }))), 'PROOF_WRONG_BODY')
      await expectRefused(h.auth(request(await proof(), { body: Buffer.alloc(0) })), 'PROOF_WRONG_BODY')
    })

    it('PROOF_WRONG_REQUEST: signed for another method', async () => {
      await expectRefused(h.auth(request(await proof({ method: 'DELETE' }))), 'PROOF_WRONG_REQUEST')
    })

    it('PROOF_WRONG_REQUEST: signed for another path', async () => {
      await expectRefused(h.auth(request(await proof({ path: '/v1/agent/delegations' }))), 'PROOF_WRONG_REQUEST')
    })

    it('PROOF_WRONG_REQUEST: signed for the same path with another query, or none', async () => {
      await expectRefused(h.auth(request(await proof({ path: '/v1/agent/tasks?x=2' }))), 'PROOF_WRONG_REQUEST')
      await expectRefused(h.auth(request(await proof({ path: '/v1/agent/tasks' }))), 'PROOF_WRONG_REQUEST')
    })

    it('UNKNOWN_AGENT: a valid proof signed by a key that is not an agent of this node', async () => {
      await expectRefused(h.auth(request(await proof({ signer: stranger }))), 'UNKNOWN_AGENT')
      expect(h.hostsAsked).to.deep.equal([stranger.did])
    })

    it('PROOF_REPLAYED: the same proof (same nonce) a second time', async () => {
      const jwt = await proof()
      expect(await h.auth(request(jwt))).to.equal(agent.did)
      await expectRefused(h.auth(request(jwt)), 'PROOF_REPLAYED')
      // a fresh proof for the same request still passes: only the nonce is spent
      expect(await h.auth(request(await proof()))).to.equal(agent.did)
    })

    it('PROOF_REPLAYED: a new proof that reuses a spent nonce', async () => {
      expect(await h.auth(request(await crafted({ jti: 'same-nonce-0123456789' })))).to.equal(agent.did)
      const again = await crafted({ jti: 'same-nonce-0123456789', htm: 'GET', htu: '/v1/agent/me', bd: bodyDigest(new Uint8Array(0)) })
      await expectRefused(h.auth(request(again, { method: 'GET', path: '/v1/agent/me', body: Buffer.alloc(0) })), 'PROOF_REPLAYED')
    })

    it('PROOF_REPLAYED: two concurrent uses of one proof, only one passes', async () => {
      const jwt = await proof()
      const results = await Promise.allSettled([h.auth(request(jwt)), h.auth(request(jwt))])
      expect(results.filter(r => r.status === 'fulfilled')).to.have.length(1)
      const refused = results.find(r => r.status === 'rejected') as PromiseRejectedResult
      expect((refused.reason as ControlRouteError).code).to.equal('PROOF_REPLAYED')
    })

    it('a refused proof does not spend its nonce for a good one (refusals are not remembered)', async () => {
      // the same nonce first arrives with a proof from the future, then in time: the second passes
      await expectRefused(h.auth(request(await crafted({ jti: 'nonce-future-0123456789', iat: NOW_S + 60 }))), 'PROOF_FROM_FUTURE')
      expect(await h.auth(request(await crafted({ jti: 'nonce-future-0123456789' })))).to.equal(agent.did)
    })

    it('PROOF_BAD_SIGNATURE: signed by one key but naming another agent as issuer', async () => {
      await expectRefused(h.auth(request(await crafted({}, { typ: AGENT_PROOF_TYP }, stranger))), 'PROOF_BAD_SIGNATURE')
    })

    it('PROOF_BAD_SIGNATURE: a payload changed after signing', async () => {
      const [hd, , sig] = (await proof()).split('.')
      const forged = Buffer.from(JSON.stringify({ iss: agent.did, aud: node.did, htm: 'POST', htu: PATH, bd: bodyDigest(BODY), iat: NOW_S, jti: 'forged-nonce-0123456789' })).toString('base64url')
      await expectRefused(h.auth(request(`${hd}.${forged}.${sig}`)), 'PROOF_BAD_SIGNATURE')
    })

    it('PROOF_MISSING: no header, or an empty one', async () => {
      await expectRefused(h.auth(request(undefined)), 'PROOF_MISSING')
      await expectRefused(h.auth(request('')), 'PROOF_MISSING')
    })

    it('PROOF_INVALID: a header that is not a JWT', async () => {
      for (const bad of ['garbage', 'a.b.c', 'a.b', `${(await proof()).slice(0, -10)}`, 'Bearer ' + await proof(), '....']) {
        await expectRefused(h.auth(request(bad)), 'PROOF_INVALID')
      }
    })

    it('PROOF_INVALID: a JWT of another type (typ is not tm-agent-proof+jwt)', async () => {
      await expectRefused(h.auth(request(await crafted({}, {}))), 'PROOF_INVALID')
      await expectRefused(h.auth(request(await crafted({}, { typ: 'JWT' }))), 'PROOF_INVALID')
    })

    it('PROOF_INVALID: an issuer that is not a did:key', async () => {
      await expectRefused(h.auth(request(await crafted({ iss: 'did:web:example.com' }))), 'PROOF_INVALID')
      await expectRefused(h.auth(request(await crafted({ iss: 42 }))), 'PROOF_INVALID')
    })

    it('PROOF_INVALID: iat missing or not an integer', async () => {
      await expectRefused(h.auth(request(await crafted({ iat: undefined }))), 'PROOF_INVALID')
      await expectRefused(h.auth(request(await crafted({ iat: NOW_S + 0.5 }))), 'PROOF_INVALID')
      await expectRefused(h.auth(request(await crafted({ iat: String(NOW_S) }))), 'PROOF_INVALID')
    })

    it('PROOF_INVALID: a nonce missing, too short or too long', async () => {
      await expectRefused(h.auth(request(await crafted({ jti: undefined }))), 'PROOF_INVALID')
      await expectRefused(h.auth(request(await crafted({ jti: 'short' }))), 'PROOF_INVALID')
      await expectRefused(h.auth(request(await crafted({ jti: 'x'.repeat(129) }))), 'PROOF_INVALID')
      await expectRefused(h.auth(request(await crafted({ jti: 12345678901234567890 }))), 'PROOF_INVALID')
    })
  })
})
