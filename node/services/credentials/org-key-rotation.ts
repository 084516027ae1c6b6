/**
 * Org key rotation while the node runs (`trustmesh identity rotate`): a new org key (file or token),
 * a successor record signed by the old key (kept in the successor book and sent in every hello), the
 * node switched to the new key and DID, and what the org issued re-issued under it: the
 * NodeCredential (then presented to connected partners by re-hello, so they follow and keep the
 * connection), the agents' AgentCredentials and their root delegations. Audited before it takes effect.
 */
import type { KeyStore } from '../../../identity/keystore.js'
import { issueAgentCredential, verifyAgentCredential } from '../../../identity/credentials.js'
import type { AgentLifecycle, Components } from '../../components.js'
import { SUBLEVELS as Sublevel } from '../../store/sublevels.js'
import type { AgentRecord } from '../agents/agent-registry.js'
import type { CurrentSigner } from '../../keys/current-signer.js'
import { rotateOrgKey, type RotateTokenOptions } from '../../keys/rotate-org-key.js'
import { rotateNodeKey, type NodeKeyRotation } from '../../keys/rotate-node-key.js'
import { readIdentityFile } from '../../identity-file.js'
import type { SuccessorBook } from '../../mesh/successor-book.js'
import type { CredentialRenewalService } from './node-credential-renewal.js'

export interface OrgKeyRotationDeps {
  ctx: Pick<Components, 'layout' | 'clock' | 'logger' | 'identity' | 'store' | 'audit'>
  keys: KeyStore
  signer: CurrentSigner
  successors: SuccessorBook
  credentials: CredentialRenewalService
  roots: () => AgentLifecycle
  /** Gossip the successor record (partners also receive it in hello). */
  publish: (jwt: string) => Promise<void>
}

export interface RotationOutcome {
  oldDid: string
  newDid: string
  key: { where: string, token?: string, label?: string }
  successorRecord: string
  reissued: { nodeCredential: boolean, agents: number }
}

export class RotationError extends Error {
  override readonly name = 'RotationError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

export interface KeyRotation {
  rotate: (options?: { pkcs11?: RotateTokenOptions, file?: boolean }) => Promise<RotationOutcome>
  /** A new node key (new PeerId) from the next start; see node/keys/rotate-node-key.ts. */
  rotateNodeKey: (options?: { pkcs11?: RotateTokenOptions, file?: boolean }) => Promise<NodeKeyRotation>
}

export function createOrgKeyRotation (d: OrgKeyRotationDeps): KeyRotation {
  let busy = false
  /** identity.json names a node key the running node does not use yet: a node key rotation awaits a restart. */
  const pendingRestart = async (): Promise<boolean> => (await readIdentityFile(d.ctx.layout.identity, d.ctx.layout.root)).peerId !== d.ctx.identity.peerId
  return {
    async rotateNodeKey (options = {}) {
      if (busy) throw new RotationError('ROTATION_IN_PROGRESS', 'a key rotation is already running')
      busy = true
      try {
        const { ctx } = d
        const onDisk = await readIdentityFile(ctx.layout.identity, ctx.layout.root)
        const audited = await ctx.audit.record({ kind: 'enrolment', subject: ctx.identity.peerId, reason: 'node key rotation', details: { oldPeerId: ctx.identity.peerId } })
        if (!audited.ok) throw new RotationError('AUDIT_UNAVAILABLE', audited.error.message)
        // identity.json changes on disk only: the running node keeps its PeerId until it restarts
        const r = await rotateNodeKey({ layout: ctx.layout, keys: d.keys, identity: onDisk, runningPeerId: ctx.identity.peerId }, options).catch((err: { code?: string, message?: string }) => {
          throw new RotationError(err.code ?? 'ROTATION_FAILED', String(err.message))
        })
        ctx.logger.warn('node key rotated: restart the node to use its new PeerId', { oldPeerId: r.rotation.oldPeerId, newPeerId: r.rotation.newPeerId })
        return r.rotation
      } finally {
        busy = false
      }
    },
    async rotate (options = {}) {
      if (busy) throw new RotationError('ROTATION_IN_PROGRESS', 'a key rotation is already running')
      if (await pendingRestart()) throw new RotationError('RESTART_PENDING', 'a node key rotation is waiting for the node\'s restart: restart the node, then rotate the org key')
      busy = true
      try {
        const { ctx } = d
        const oldDid = ctx.identity.orgDid
        const audited = await ctx.audit.record({ kind: 'enrolment', subject: oldDid, reason: 'org key rotation', details: { oldDid } })
        if (!audited.ok) throw new RotationError('AUDIT_UNAVAILABLE', audited.error.message)
        const r = await rotateOrgKey({ layout: ctx.layout, keys: d.keys, identity: ctx.identity, current: d.signer.current, clock: ctx.clock, persistRecord: async (jwt) => { if (await d.successors.add(jwt) == null) throw new RotationError('INVALID_SUCCESSOR', 'the successor record does not verify') } }, options)
        // from here on every service signs with the new key and speaks as the new DID
        await d.signer.replace(r.next)
        Object.assign(ctx.identity, r.identity)
        await ctx.audit.record({ kind: 'enrolment', subject: r.identity.orgDid, reason: 'org key rotated', details: { oldDid, newDid: r.identity.orgDid, key: r.next.location.where } })
        await d.publish(r.record).catch(err => { ctx.logger.warn('successor record not gossiped (partners still get it in hello)', { error: (err as Error).message }) })
        const agents = await reissueAgents(d)
        const nodeCredential = await d.credentials.renewIfDue({ force: true, reason: 'ORG_KEY_ROTATED' })
        ctx.logger.info('org key rotated', { oldDid, newDid: r.identity.orgDid, key: r.next.location.where, agents })
        const loc = r.next.location
        return { oldDid, newDid: r.identity.orgDid, key: loc.where === 'pkcs11' ? { where: loc.where, token: loc.token, label: loc.label } : { where: loc.where }, successorRecord: r.record, reissued: { nodeCredential, agents } }
      } finally {
        busy = false
      }
    }
  }
}

/** Each agent's AgentCredential and root delegation, issued again by the new org key. */
async function reissueAgents (d: OrgKeyRotationDeps): Promise<number> {
  const repo = d.ctx.store.repository<AgentRecord>(Sublevel.agents)
  let n = 0
  for (const [name, a] of await repo.list()) {
    const ttlSeconds = Math.max(60, Math.floor((a.expiresAt - d.ctx.clock.now()) / 1000))
    const credential = await issueAgentCredential(d.signer, { agentDid: a.did, name: a.name, ring: a.ring, capabilities: a.capabilities }, { clock: d.ctx.clock, ttlSeconds })
    const v = verifyAgentCredential(credential, { clock: d.ctx.clock, expectedIssuer: d.signer.did })
    if (!v.ok) throw new RotationError(v.error.code, `re-issuing ${a.name}'s credential: ${v.error.message}`)
    // the agent's acceptance covered the old credential only: it countersigns the new one (the SDK does
    // so by itself); until then partners that bound it renew the binding, others wait for the acceptance
    const { acceptance: _old, ...rest } = a
    const next: AgentRecord = { ...rest, credential, expiresAt: v.value.expiresAt * 1000, previous: [a.credential, ...(a.previous ?? [])].slice(0, 4) }
    await repo.put(name, next)
    await d.roots().agentCreated(next)
    n++
  }
  return n
}
