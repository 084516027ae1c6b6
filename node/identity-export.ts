/**
 * The identity export: the small public file an operator hands to a partner who enrols by file
 * (`peer add --from-file`): org DID, name, the current NodeCredential, the node's addresses and the
 * org's successor records (key rotations), each checkable by the reader. No secret is in it.
 */
import { verifyNodeCredential } from '../identity/credentials.js'
import type { Clock } from '../identity/clock.js'
import { fail, ok, type Result } from '../identity/result.js'
import type { IdentityFile } from './identity-file.js'

export const IDENTITY_EXPORT_TYPE = 'trustmesh-identity'

export interface IdentityExport {
  type: typeof IDENTITY_EXPORT_TYPE
  version: 1
  orgDid: string
  orgName: string
  peerId: string
  nodeCredential: string
  addrs: string[]
  /** Signed successor records (old org DID -> new org DID), oldest first. */
  successors: string[]
  exportedAt: string
}

export function buildIdentityExport (identity: IdentityFile, nodeCredential: string, addrs: string[], successors: string[], clock: Clock): IdentityExport {
  const withPeer = addrs.map(a => a.includes('/p2p/') ? a : `${a}/p2p/${identity.peerId}`)
  return {
    type: IDENTITY_EXPORT_TYPE,
    version: 1,
    orgDid: identity.orgDid,
    orgName: identity.orgName,
    peerId: identity.peerId,
    nodeCredential,
    addrs: [...new Set(withPeer)],
    successors,
    exportedAt: new Date(clock.now()).toISOString()
  }
}

/**
 * Check a file someone handed us: its NodeCredential must be valid, issued by the org DID it names,
 * for the PeerId it names. Older exports without a credential (only DID, name, addresses) are read
 * as they are; the node still requires a valid NodeCredential in hello.
 */
export function checkIdentityExport (file: unknown, clock: Clock): Result<{ orgDid: string, orgName?: string, addrs: string[], peerId?: string }> {
  const f = file as Partial<IdentityExport> | null
  if (f == null || typeof f !== 'object' || typeof f.orgDid !== 'string') return fail('INVALID_IDENTITY_FILE', 'the file names no orgDid')
  const addrs = Array.isArray(f.addrs) ? f.addrs.filter((a): a is string => typeof a === 'string') : []
  if (f.nodeCredential != null) {
    const v = verifyNodeCredential(String(f.nodeCredential), { clock, expectedIssuer: f.orgDid })
    if (!v.ok) return fail(v.error.code, `the NodeCredential in the file does not verify for ${f.orgDid}: ${v.error.message}`)
    if (f.peerId != null && v.value.subject.id !== f.peerId) return fail('INVALID_IDENTITY_FILE', `the NodeCredential is for ${v.value.subject.id}, not ${String(f.peerId)}`)
  }
  return ok({ orgDid: f.orgDid, ...(typeof f.orgName === 'string' ? { orgName: f.orgName } : {}), addrs, ...(typeof f.peerId === 'string' ? { peerId: f.peerId } : {}) })
}
