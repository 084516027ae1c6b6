/**
 * Node key rotation in the data directory (`trustmesh identity rotate --node-key`): a new node key
 * (`keys/node-<n>.key`), identity.json naming its PeerId and DID, the old PeerId kept in
 * `previousPeerIds`. It takes effect at the node's next start: libp2p's PeerId is fixed for the life
 * of a libp2p instance, so the node does not swap it under live connections; the operator restarts the
 * node (the reply says so). At that start the org key issues a NodeCredential for the new PeerId that
 * names the old ones as replaced (`credentialSubject.replaces`); partners that verify it in hello
 * refuse the old PeerIds from then on (KEY_RETIRED).
 *
 * The node key is always an encrypted key file, never a PKCS#11 token: libp2p's Noise handshake and
 * PeerId need the raw Ed25519 seed in process (identity/peer-id.ts libp2pPrivateKeyFromSeed), which
 * a token never releases. The org key, which signs everything else the node vouches for, can be on one.
 */
import { rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { KeyStore } from '../../identity/keystore.js'
import { libp2pPrivateKeyFromSeed, peerIdStringFromPublicKey } from '../../identity/peer-id.js'
import { MAX_REPLACED_PEER_IDS } from '../../identity/credential-claims.js'
import type { DataDirLayout } from '../data-dir.js'
import { NODE_KEY } from '../data-dir.js'
import type { IdentityFile } from '../identity-file.js'

export interface NodeKeyRotation {
  oldPeerId: string
  newPeerId: string
  newNodeDid: string
  /** The key file of the new node key. */
  key: string
  /** Always true: the new PeerId is used from the node's next start. */
  restartRequired: true
}

export class NodeKeyRotationError extends Error {
  override readonly name = 'NodeKeyRotationError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

/** Why the node key cannot be on a PKCS#11 token (for errors, doctor and the CLI). */
export const NODE_KEY_ON_TOKEN_NOT_FEASIBLE = 'the node key cannot live on a PKCS#11 token: libp2p\'s Noise handshake and PeerId need the raw Ed25519 seed in the node process, which a token never releases (the org key, which signs every credential, can be on one)'

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}

/** The first unused key name `node-<n>`. */
async function nextKeyName (layout: DataDirLayout, keys: KeyStore): Promise<string> {
  for (let n = 2; n < 10_000; n++) {
    const name = `${NODE_KEY}-${n}`
    if (!(await keys.has(name)) && !(await exists(join(layout.keys, `${name}.key`)))) return name
  }
  throw new NodeKeyRotationError('NO_FREE_KEY_NAME', 'no free node key name')
}

/** Create the next node key and point identity.json at it; a pending rotation is refused. */
export async function rotateNodeKey (deps: { layout: DataDirLayout, keys: KeyStore, identity: IdentityFile, runningPeerId: string }): Promise<{ rotation: NodeKeyRotation, identity: IdentityFile }> {
  const { layout, keys, identity } = deps
  if (identity.peerId !== deps.runningPeerId) {
    throw new NodeKeyRotationError('RESTART_PENDING', `a node key rotation to ${identity.peerId} is waiting for the node's restart (running as ${deps.runningPeerId}): restart the node first`)
  }
  const name = await nextKeyName(layout, keys)
  const signer = await keys.create(name)
  const pk = await libp2pPrivateKeyFromSeed(signer.exportSeed())
  const newPeerId = peerIdStringFromPublicKey(pk.publicKey.raw)
  const updated: IdentityFile = {
    ...identity,
    peerId: newPeerId,
    nodeDid: signer.did,
    nodeKey: name,
    previousPeerIds: [...(identity.previousPeerIds ?? []), identity.peerId].slice(-MAX_REPLACED_PEER_IDS)
  }
  await writeFile(layout.identity + '.tmp', JSON.stringify(updated, null, 2) + '\n', { mode: 0o600 })
  await rename(layout.identity + '.tmp', layout.identity)
  return { rotation: { oldPeerId: identity.peerId, newPeerId, newNodeDid: signer.did, key: join(layout.keys, `${name}.key`), restartRequired: true }, identity: updated }
}
