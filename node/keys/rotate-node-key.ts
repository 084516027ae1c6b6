/**
 * Node key rotation in the data directory (`trustmesh identity rotate --node-key`): a new node key
 * (`keys/node-<n>.key`), identity.json naming its PeerId and DID, the old PeerId kept in
 * `previousPeerIds`. It takes effect at the node's next start: libp2p's PeerId is fixed for the life
 * of a libp2p instance, so the node does not swap it under live connections; the operator restarts the
 * node (the reply says so). At that start the org key issues a NodeCredential for the new PeerId that
 * names the old ones as replaced (`credentialSubject.replaces`); partners that verify it in hello
 * refuse the old PeerIds from then on (KEY_RETIRED).
 *
 * The new key is a file key, or on a PKCS#11 token: the token given, else the current node key's
 * token when it is on one (`--file` keeps it in a file). A token node key is used by libp2p through
 * node/libp2p/signer-private-key.ts; its seed is never read. The old key is kept, never deleted.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { KeyStore } from '../../identity/keystore.js'
import { peerIdStringFromPublicKey } from '../../identity/peer-id.js'
import { openPkcs11Signer } from '../../identity/pkcs11-signer.js'
import { readPin, readTokenKeyFile, tokenKeyPath, writeTokenKeyFile } from './key-location.js'
import type { RotateTokenOptions } from './rotate-org-key.js'
import { MAX_REPLACED_PEER_IDS } from '../../identity/credential-claims.js'
import type { DataDirLayout } from '../data-dir.js'
import { NODE_KEY } from '../data-dir.js'
import { writeIdentityFile, type IdentityFile } from '../identity-file.js'

export interface NodeKeyRotation {
  oldPeerId: string
  newPeerId: string
  newNodeDid: string
  /** The key file of the new node key, or where it is on a token. */
  key: string
  where: 'file' | 'pkcs11'
  /** Always true: the new PeerId is used from the node's next start. */
  restartRequired: true
}

export class NodeKeyRotationError extends Error {
  override readonly name = 'NodeKeyRotationError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}

/** The first unused key name `node-<n>`. */
async function nextKeyName (layout: DataDirLayout, keys: KeyStore): Promise<string> {
  for (let n = 2; n < 10_000; n++) {
    const name = `${NODE_KEY}-${n}`
    if (!(await keys.has(name)) && !(await exists(join(layout.keys, `${name}.key`))) && !(await exists(tokenKeyPath(layout, name)))) return name
  }
  throw new NodeKeyRotationError('NO_FREE_KEY_NAME', 'no free node key name')
}

/** Create the next node key and point identity.json at it; a pending rotation is refused. */
export async function rotateNodeKey (deps: { layout: DataDirLayout, keys: KeyStore, identity: IdentityFile, runningPeerId: string }, options: { pkcs11?: RotateTokenOptions, file?: boolean } = {}): Promise<{ rotation: NodeKeyRotation, identity: IdentityFile }> {
  const { layout, keys, identity } = deps
  if (identity.peerId !== deps.runningPeerId) {
    throw new NodeKeyRotationError('RESTART_PENDING', `a node key rotation to ${identity.peerId} is waiting for the node's restart (running as ${deps.runningPeerId}): restart the node first`)
  }
  const name = await nextKeyName(layout, keys)
  const currentToken = await readTokenKeyFile(layout, identity.nodeKey ?? NODE_KEY)
  const token = options.file === true ? undefined : options.pkcs11 ?? (currentToken != null ? { module: currentToken.module, token: currentToken.token, pinFile: currentToken.pinFile } : undefined)
  let made: { did: string, publicKey: Uint8Array, key: string }
  if (token == null) {
    const signer = await keys.create(name)
    made = { did: signer.did, publicKey: signer.publicKey, key: join(layout.keys, `${name}.key`) }
  } else {
    const label = token.label ?? `trustmesh-${name}`
    // made on the token now, opened by the node at its restart (no fallback to a file key then)
    const { signer, created } = await openPkcs11Signer({ module: token.module, token: token.token, label, pin: await readPin(token.pinFile), createIfMissing: true })
    try {
      // a rotation makes a new key: a label already on the token is another key (this node's current
      // one, or another node's), and two nodes sharing one PeerId would be worse than no rotation
      if (!created) throw new NodeKeyRotationError('KEY_EXISTS', `token ${token.token} already holds a key labelled ${label} (${signer.did}): name a new label with --key-label`)
      await writeTokenKeyFile(layout, { key: name, did: signer.did, module: token.module, token: token.token, label, pinFile: token.pinFile })
      made = { did: signer.did, publicKey: signer.publicKey, key: `PKCS#11 token ${token.token} (label ${label})` }
    } finally {
      await signer.close()
    }
  }
  const signer = made
  const newPeerId = peerIdStringFromPublicKey(made.publicKey)
  const updated: IdentityFile = {
    ...identity,
    peerId: newPeerId,
    nodeDid: signer.did,
    nodeKey: name,
    previousPeerIds: [...(identity.previousPeerIds ?? []), identity.peerId].slice(-MAX_REPLACED_PEER_IDS)
  }
  await writeIdentityFile(layout.identity, updated)
  return { rotation: { oldPeerId: identity.peerId, newPeerId, newNodeDid: signer.did, key: made.key, where: token == null ? 'file' : 'pkcs11', restartRequired: true }, identity: updated }
}
