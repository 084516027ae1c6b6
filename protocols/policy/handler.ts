/** The serving end of the policy protocol: the canonical text of a policy this node can vouch for, by digest. */
import type { Stream } from '@libp2p/interface'
import { serveRequest } from '../request-response.js'
import { POLICY_MAX_BYTES, POLICY_TIMEOUT_MS, policyRequestSchema, type PolicyReply } from './messages.js'

export interface PolicyHandlerComponents {
  /** Canonical effective-policy JSON for `digest`, if this node holds it. */
  lookupPolicy: (digest: string) => string | undefined
}

export function createPolicyHandler (components: PolicyHandlerComponents, options: { timeoutMs?: number } = {}): (stream: Stream) => Promise<void> {
  return async (stream) => {
    await serveRequest(stream, POLICY_MAX_BYTES, policyRequestSchema, options.timeoutMs ?? POLICY_TIMEOUT_MS, async (req): Promise<PolicyReply> => {
      const text = components.lookupPolicy(req.digest)
      return text != null ? { v: 1, found: true, policy: text } : { v: 1, found: false }
    })
  }
}
