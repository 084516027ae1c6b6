/**
 * Org key rotation in the data directory: a new org key (a file key, or on a PKCS#11 token: the
 * token given, else the current key's token), a successor record signed by the old key and
 * countersigned by the new one, and identity.json naming the new DID and key. The old key is kept
 * (retired), never deleted: tokens it signed before the rotation stay verifiable.
 */
import type { Clock } from '../../identity/clock.js'
import type { KeyStore } from '../../identity/keystore.js'
import { openPkcs11Signer } from '../../identity/pkcs11-signer.js'
import { issueSuccessorRecord } from '../../identity/successor-record.js'
import type { Signer } from '../../identity/signer.js'
import type { DataDirLayout } from '../data-dir.js'
import { ORG_KEY } from '../data-dir.js'
import { writeIdentityFile, type IdentityFile } from '../identity-file.js'
import { readPin, readTokenKeyFile, writeTokenKeyFile, tokenKeyPath, type HeldSigner } from './key-location.js'
import { join } from 'node:path'
import { stat } from 'node:fs/promises'

export interface RotateTokenOptions { module: string, token: string, pinFile: string, label?: string }

export interface RotationResult {
  next: HeldSigner
  record: string
  identity: IdentityFile
}

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}

/** The first unused key name `org-<n>`. */
async function nextKeyName (layout: DataDirLayout, keys: KeyStore): Promise<string> {
  for (let n = 2; n < 10_000; n++) {
    const name = `${ORG_KEY}-${n}`
    if (!(await keys.has(name)) && !(await exists(tokenKeyPath(layout, name)))) return name
  }
  throw new Error('no free org key name')
}

export async function rotateOrgKey (deps: { layout: DataDirLayout, keys: KeyStore, identity: IdentityFile, current: Signer, clock: Clock, persistRecord: (jwt: string) => Promise<void> }, options: { pkcs11?: RotateTokenOptions, file?: boolean } = {}): Promise<RotationResult> {
  const { layout, keys, identity, current, clock } = deps
  const name = await nextKeyName(layout, keys)
  const currentToken = await readTokenKeyFile(layout, identity.orgKey ?? ORG_KEY)
  const token = options.file === true ? undefined : options.pkcs11 ?? (currentToken != null ? { module: currentToken.module, token: currentToken.token, pinFile: currentToken.pinFile } : undefined)
  let next: HeldSigner
  if (token == null) {
    const signer = await keys.create(name)
    next = { signer, location: { key: name, where: 'file', path: join(layout.keys, `${name}.key`) }, close: async () => {} }
  } else {
    const label = token.label ?? `trustmesh-${name}`
    const { signer } = await openPkcs11Signer({ module: token.module, token: token.token, label, pin: await readPin(token.pinFile), createIfMissing: true })
    await writeTokenKeyFile(layout, { key: name, did: signer.did, module: token.module, token: token.token, label, pinFile: token.pinFile })
    next = { signer, location: { key: name, where: 'pkcs11', module: token.module, token: token.token, label, did: signer.did }, close: async () => { await signer.close() } }
  }
  const record = await issueSuccessorRecord(current, next.signer, clock)
  // the record is stored before identity.json names the new DID: a crash in between leaves a node
  // that still starts as the old org, never a new org no partner can follow
  await deps.persistRecord(record)
  const updated: IdentityFile = { ...identity, orgDid: next.signer.did, orgKey: name, previousOrgDids: [...(identity.previousOrgDids ?? []), identity.orgDid] }
  await writeIdentityFile(layout.identity, updated)
  return { next, record, identity: updated }
}
