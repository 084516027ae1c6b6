/** audit (`/trustmesh/audit/1.0.0`): messages, limits, the witness handler and the owner's client. */
export * from './messages.js'
export { createAuditHandler, nodeDidOfPeer, type AuditHandlerComponents } from './handler.js'
export { requestCosign } from './client.js'
export { AUDIT_PROOF_PROTOCOL, createProofHandler, requestConsistencyProof, type ProofReply, type ProofRequest } from './proof.js'
