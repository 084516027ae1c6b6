/**
 * The invoking agent's side of a saga: one delegation a step, from the agent to its node's saga
 * coordinator, signed with the agent's own key (the node never holds it), as the node's plan asks
 * (protocols/control/saga.ts). Used by `trustmesh saga run` and the SDK's `agent.sagas.run`.
 */
import { randomBytes } from 'node:crypto'
import { issueDelegation } from '../identity/ucan/index.js'
import type { Signer } from '../identity/signer.js'
import type { SagaPlan } from '../protocols/control/saga.js'

/** Step id -> the delegation JWT the agent signed for it. */
export async function signSagaGrants (signer: Signer, plan: SagaPlan): Promise<Record<string, string>> {
  const delegations: Record<string, string> = {}
  for (const g of plan.grants) {
    const d = await issueDelegation(signer, {
      audience: g.audience, capabilities: { [g.resource]: { [g.ability]: g.caveats } },
      notBefore: g.notBefore, expiration: g.expiration, nonce: randomBytes(8).toString('base64url'), proofs: [g.proof.jwt]
    })
    delegations[g.step] = d.jwt
  }
  return delegations
}
