/**
 * `trustmesh init`: create an organisation's data directory: the org root key and the node key
 * (encrypted), a NodeCredential binding the node's PeerId to the org DID, a 32-byte swarm key, a
 * default deny-by-default policy and the public identity file. Never overwrites anything: running it
 * twice reports the existing identity.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, rename, writeFile } from 'node:fs/promises'
import { FileKeyStore, type KeyStore } from '../identity/keystore.js'
import { issueNodeCredential } from '../identity/credentials.js'
import { peerIdStringFromPublicKey } from '../identity/peer-id.js'
import type { Clock } from '../identity/clock.js'
import { dataDirLayout, NODE_KEY, ORG_KEY, SAGA_KEY, type DataDirLayout } from './data-dir.js'
import { readIdentityFile, type IdentityFile } from './identity-file.js'
import { formatSwarmKey } from './libp2p/swarm-key.js'
import { DEFAULT_POLICY_YAML } from '../authz/default-policy.js'
import { PASSPHRASE_ENV } from '../identity/keystore.js'
import { readRegularFile } from '../identity/regular-file.js'
import type { Signer } from '../identity/signer.js'
import { openPkcs11Signer } from '../identity/pkcs11-signer.js'
import { loadSigner, readPin, readTokenKeyFile, writeTokenKeyFile } from './keys/key-location.js'

export const NODE_CREDENTIAL_TTL_SECONDS = 30 * 24 * 3600
const ORG_NAME = /^[\w][\w .@&()-]{0,63}$/u

export class InitError extends Error {
  override readonly name = 'InitError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

export interface InitOptions {
  dataDir: string
  orgName: string
  passphrase?: string
  clock: Clock
  /** scrypt cost for tests; default the key store's. */
  scryptN?: number
  /** Swarm key file text to join an existing mesh; default: a new random key. */
  swarmKey?: string
  /** Keep the org key on a PKCS#11 token: created there (or an existing one used by label). */
  pkcs11?: Pkcs11InitOptions
}

export interface Pkcs11InitOptions {
  module: string
  token: string
  pinFile: string
  /** Label of the org key on the token; default `trustmesh-org`. */
  label?: string
  /** Keep the node key (its PeerId) on the token too. */
  nodeKey?: boolean
  /** Label of the node key on the token; default `trustmesh-node`. */
  nodeLabel?: string
}

export const DEFAULT_TOKEN_KEY_LABEL = 'trustmesh-org'
export const DEFAULT_TOKEN_NODE_KEY_LABEL = 'trustmesh-node'

export interface InitResult {
  created: boolean
  identity: IdentityFile
  layout: DataDirLayout
  /** True when keys are protected by a generated passphrase file rather than one the operator chose. */
  generatedPassphrase: boolean
}

/** Write a file with mode 0600 that must not exist yet. */
async function writeNew (path: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(path, 'wx', 0o600)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await chmod(path, 0o600)
}

/**
 * The passphrase protecting the key store: an explicit option, else TRUSTMESH_PASSPHRASE, else the
 * data directory's generated passphrase file (0600) when init created one.
 */
export async function resolveNodePassphrase (layout: DataDirLayout, option?: string): Promise<{ passphrase: string, generated: boolean }> {
  if (option != null && option !== '') return { passphrase: option, generated: false }
  const env = process.env[PASSPHRASE_ENV]
  if (env != null && env !== '') return { passphrase: env, generated: false }
  try {
    return { passphrase: (await readRegularFile(layout.passphrase)).trim(), generated: true }
  } catch {
    throw new InitError('NO_PASSPHRASE', `no passphrase for the keys in ${layout.keys}: pass --passphrase or set ${PASSPHRASE_ENV}`)
  }
}

export function openKeyStore (layout: DataDirLayout, passphrase: string, scryptN?: number): KeyStore {
  return new FileKeyStore(layout.keys, passphrase, scryptN != null ? { scrypt: { N: scryptN, r: 8, p: 1 } } : undefined)
}

export async function initOrganisation (opts: InitOptions): Promise<InitResult> {
  const layout = dataDirLayout(opts.dataDir)
  try {
    const identity = await readIdentityFile(layout.identity, opts.dataDir)
    const generated = await readRegularFile(layout.passphrase).then(() => true, () => false)
    return { created: false, identity, layout, generatedPassphrase: generated }
  } catch (err) {
    if ((err as { code?: string }).code !== 'NOT_INITIALISED') throw err
  }
  if (!ORG_NAME.test(opts.orgName)) throw new InitError('INVALID_ORG_NAME', `org name ${JSON.stringify(opts.orgName)} must be 1-64 letters, digits, spaces or . @ & ( ) - _`)
  await mkdir(layout.root, { recursive: true, mode: 0o700 })
  await chmod(layout.root, 0o700)

  let passphrase = opts.passphrase ?? process.env[PASSPHRASE_ENV]
  let generatedPassphrase = false
  if (passphrase == null || passphrase === '') {
    passphrase = randomBytes(32).toString('base64url')
    await writeNew(layout.passphrase, passphrase + '\n')
    generatedPassphrase = true
  }
  const keys = openKeyStore(layout, passphrase, opts.scryptN)
  const pk = opts.pkcs11
  const org = await keyOnTokenOrFile(layout, keys, ORG_KEY, pk != null ? { ...pk, label: pk.label ?? DEFAULT_TOKEN_KEY_LABEL } : undefined)
  let nodeDid: string
  let peerId: string
  let credential: string
  try {
    const node = await keyOnTokenOrFile(layout, keys, NODE_KEY, pk?.nodeKey === true ? { ...pk, label: pk.nodeLabel ?? DEFAULT_TOKEN_NODE_KEY_LABEL } : undefined)
    nodeDid = node.signer.did
    await node.close()
    // the node's own saga coordinator service key (not an agent's key; a node started on an older data dir creates it then)
    if (!await keys.has(SAGA_KEY)) await keys.create(SAGA_KEY)
    peerId = peerIdStringFromPublicKey(node.signer.publicKey)
    credential = await issueNodeCredential(org.signer, { peerId, orgName: opts.orgName }, { clock: opts.clock, ttlSeconds: NODE_CREDENTIAL_TTL_SECONDS })
  } finally {
    await org.close()
  }
  await writeNew(layout.nodeCredential, credential + '\n').catch(ignoreExists)
  await writeNew(layout.swarmKey, opts.swarmKey ?? formatSwarmKey()).catch(ignoreExists)
  await writeNew(layout.policy, DEFAULT_POLICY_YAML).catch(ignoreExists)
  const identity: IdentityFile = {
    version: 1,
    orgDid: org.signer.did,
    orgName: opts.orgName,
    peerId,
    nodeDid,
    createdAt: new Date(opts.clock.now()).toISOString()
  }
  // the identity file is written last: its presence means init completed
  await writeFile(layout.identity + '.tmp', JSON.stringify(identity, null, 2) + '\n', { mode: 0o600 })
  await rename(layout.identity + '.tmp', layout.identity)
  return { created: true, identity, layout, generatedPassphrase }
}

/**
 * Key `name` (the org key, the node key): on the token when asked (created there, or the existing
 * key with that label), else in the file key store. A token key is recorded in
 * keys/<name>.pkcs11.json; a data directory whose key is already on a token keeps using it.
 */
async function keyOnTokenOrFile (layout: DataDirLayout, keys: KeyStore, name: string, token: (Omit<Pkcs11InitOptions, 'label'> & { label: string }) | undefined): Promise<{ signer: Signer, close: () => Promise<void> }> {
  const named = await readTokenKeyFile(layout, name)
  if (token == null && named == null) {
    const signer = await keys.has(name) ? await keys.load(name) : await keys.create(name)
    return { signer, close: async () => {} }
  }
  if (named != null) {
    const held = await loadSigner(layout, keys, name)
    return { signer: held.signer, close: held.close }
  }
  const p = token as Pkcs11InitOptions & { label: string }
  if (await keys.has(name)) throw new InitError('KEY_EXISTS', `${layout.keys} already holds a file ${name} key; initialise a new data directory to keep the ${name} key on a token`)
  const { signer } = await openPkcs11Signer({ module: p.module, token: p.token, label: p.label, pin: await readPin(p.pinFile), createIfMissing: true })
  try {
    await mkdir(layout.keys, { recursive: true, mode: 0o700 })
    await writeTokenKeyFile(layout, { key: name, did: signer.did, module: p.module, token: p.token, label: p.label, pinFile: p.pinFile })
  } catch (err) {
    await signer.close()
    throw err
  }
  return { signer, close: async () => { await signer.close() } }
}

function ignoreExists (err: NodeJS.ErrnoException): void {
  if (err.code !== 'EEXIST') throw err
}
