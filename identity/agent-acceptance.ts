/**
 * Acceptance of an AgentCredential (DESIGN.md section 2): the agent countersigns the credential its
 * org issued, a JWT by the agent's key over the credential's CID and the org DID. A node binds an
 * agent DID to an org only with both signatures, so an org cannot claim an agent that never accepted
 * it (another org's agent, whose key it does not hold).
 */
import { cidOfJwt } from './ucan/cid.js'
import { decodeJwt, signJwt, verifyJwtSignature } from './jwt.js'
import { fail, ok, type Result } from './result.js'
import type { Signer } from './signer.js'

export const ACCEPTANCE_TYP = 'tm-acceptance+jwt'

/** The agent's countersignature of `credential` (an AgentCredential JWT issued by `orgDid`). */
export async function issueAcceptance (agent: Signer, credential: string, orgDid: string, nowS: number): Promise<string> {
  return await signJwt({ iss: agent.did, aud: orgDid, cred: cidOfJwt(credential), iat: nowS }, agent, { typ: ACCEPTANCE_TYP })
}

/** Checks that `acceptance` is by `agentDid`, names `orgDid` and exactly this credential. */
export function verifyAcceptance (acceptance: unknown, credential: string, agentDid: string, orgDid: string): Result<true> {
  if (typeof acceptance !== 'string' || acceptance === '') return fail('NOT_ACCEPTED', `${agentDid} has not accepted its AgentCredential from ${orgDid}`)
  const d = decodeJwt(acceptance)
  if (!d.ok) return fail('BAD_ACCEPTANCE', `acceptance: ${d.error.message}`)
  const { header, payload } = d.value
  if (header.typ !== ACCEPTANCE_TYP) return fail('BAD_ACCEPTANCE', `acceptance typ must be ${ACCEPTANCE_TYP}`)
  if (payload.iss !== agentDid) return fail('BAD_ACCEPTANCE', `acceptance is by ${String(payload.iss).slice(0, 80)}, not by the agent ${agentDid}`)
  if (payload.aud !== orgDid) return fail('BAD_ACCEPTANCE', `acceptance names org ${String(payload.aud).slice(0, 80)}, not ${orgDid}`)
  if (payload.cred !== cidOfJwt(credential)) return fail('BAD_ACCEPTANCE', 'acceptance is for another credential')
  const sig = verifyJwtSignature(d.value, agentDid)
  if (!sig.ok) return fail('BAD_ACCEPTANCE', `acceptance: ${sig.error.message}`)
  return ok(true)
}
