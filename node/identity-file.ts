/**
 * identity.json: the public facts of an initialised organisation (no secrets), readable without the
 * passphrase or a running node, so `identity show` works offline.
 */
import { open, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import { readRegularFile } from '../identity/regular-file.js'

export interface IdentityFile {
  version: 1
  orgDid: string
  orgName: string
  peerId: string
  nodeDid: string
  createdAt: string
  /** Name of the current org key (`keys/<name>.key` or `keys/<name>.pkcs11.json`); default `org`. */
  orgKey?: string
  /** Org DIDs this org had before key rotations, oldest first. */
  previousOrgDids?: string[]
  /** Name of the current node key (`keys/<name>.key` or `keys/<name>.pkcs11.json`); default `node`. */
  nodeKey?: string
  /** PeerIds of this node's earlier keys (node key rotations), oldest first; its NodeCredential names them as replaced. */
  previousPeerIds?: string[]
}

/**
 * Replace identity.json durably: the new text is synced before it is renamed over the old one and the
 * directory is synced after, so a crash leaves the old file or the new one, never an empty one.
 */
export async function writeIdentityFile (path: string, identity: IdentityFile): Promise<void> {
  const tmp = `${path}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(JSON.stringify(identity, null, 2) + '\n')
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  const dir = await open(dirname(path), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

export class NotInitialisedError extends Error {
  override readonly name = 'NotInitialisedError'
  readonly code = 'NOT_INITIALISED'
}

export async function readIdentityFile (path: string, dataDir: string): Promise<IdentityFile> {
  let text: string
  try {
    text = await readRegularFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotInitialisedError(`${dataDir} is not an initialised trustmesh data directory; run: trustmesh init --data-dir ${dataDir}`)
    throw err
  }
  const v = JSON.parse(text) as IdentityFile
  if (v.version !== 1 || typeof v.orgDid !== 'string' || typeof v.peerId !== 'string') throw new NotInitialisedError(`${path} is not a valid identity file`)
  return v
}
