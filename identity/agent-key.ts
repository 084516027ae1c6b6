/**
 * Agent key files: the agent, not its node, holds its Ed25519 private key (DESIGN.md section 2). A key
 * file is PKCS#8 PEM with mode 0600, owned by the agent's OS user. By default it is plain PKCS#8, so an
 * agent process starts unattended (as an SSH host key or a SPIRE agent key); with a passphrase it is
 * encrypted PKCS#8 (PBES2 with AES-256-CBC, as node:crypto writes it) and the passphrase must
 * be given when it is loaded. A file readable by group or others is refused, as ssh refuses one.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { chmod, mkdir, open, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Ed25519Signer, privateKeyObjectFromSeed } from './signer.js'
import { readRegularFile } from './regular-file.js'

export const AgentKeyErrorCode = {
  AGENT_KEY_NOT_FOUND: 'AGENT_KEY_NOT_FOUND',
  AGENT_KEY_EXISTS: 'AGENT_KEY_EXISTS',
  AGENT_KEY_PERMISSIONS: 'AGENT_KEY_PERMISSIONS',
  AGENT_KEY_INVALID: 'AGENT_KEY_INVALID',
  AGENT_KEY_PASSPHRASE: 'AGENT_KEY_PASSPHRASE'
} as const

export class AgentKeyError extends Error {
  override readonly name = 'AgentKeyError'
  constructor (readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** Environment variable an encrypted agent key's passphrase is read from when none is given. */
export const AGENT_PASSPHRASE_ENV = 'TRUSTMESH_AGENT_PASSPHRASE'

export interface AgentKeyFileOptions {
  /** Encrypt the PKCS#8 with this passphrase (and require it to load). */
  passphrase?: string
}

/** PKCS#8 PEM of a signer's key (encrypted when a passphrase is given). */
export function agentKeyPem (seed: Uint8Array, options: AgentKeyFileOptions = {}): string {
  const key = privateKeyObjectFromSeed(seed)
  const pass = options.passphrase
  return (pass != null && pass !== ''
    ? key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: pass })
    : key.export({ format: 'pem', type: 'pkcs8' })) as string
}

/** Write a key file (mode 0600, parent 0700 when created); never overwrites an existing file. */
export async function writeAgentKeyFile (path: string, seed: Uint8Array, options: AgentKeyFileOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  let fh
  try {
    fh = await open(path, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new AgentKeyError(AgentKeyErrorCode.AGENT_KEY_EXISTS, `${path} already exists; refusing to overwrite a key file`)
    throw err
  }
  try {
    await fh.writeFile(agentKeyPem(seed, options))
    await fh.sync()
  } finally {
    await fh.close()
  }
  await chmod(path, 0o600)
}

/** Generate a new agent key and write it to `path`; returns the signer (its DID is the agent's). */
export async function generateAgentKeyFile (path: string, options: AgentKeyFileOptions = {}): Promise<Ed25519Signer> {
  const signer = Ed25519Signer.generate()
  await writeAgentKeyFile(path, signer.exportSeed(), options)
  return signer
}

/** Load an agent key file; refused when missing, readable by others, not Ed25519, or locked without its passphrase. */
export async function loadAgentKeyFile (path: string, options: AgentKeyFileOptions & { env?: NodeJS.ProcessEnv } = {}): Promise<Ed25519Signer> {
  let mode: number
  try {
    mode = (await stat(path)).mode & 0o777
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentKeyError(AgentKeyErrorCode.AGENT_KEY_NOT_FOUND, `no agent key file ${path} (create one with: trustmesh agent keygen --out ${path})`)
    throw err
  }
  if ((mode & 0o077) !== 0) throw new AgentKeyError(AgentKeyErrorCode.AGENT_KEY_PERMISSIONS, `agent key file ${path} has mode ${mode.toString(8)}: it must be readable by its owner only (chmod 600 ${path})`)
  const pem = await readRegularFile(path)
  const encrypted = pem.includes('ENCRYPTED PRIVATE KEY')
  const passphrase = options.passphrase ?? (options.env ?? process.env)[AGENT_PASSPHRASE_ENV]
  if (encrypted && (passphrase == null || passphrase === '')) throw new AgentKeyError(AgentKeyErrorCode.AGENT_KEY_PASSPHRASE, `agent key file ${path} is encrypted: give its passphrase (${AGENT_PASSPHRASE_ENV})`)
  let key: KeyObject
  try {
    key = createPrivateKey(encrypted ? { key: pem, format: 'pem', passphrase } : { key: pem, format: 'pem' })
  } catch (err) {
    const code = encrypted ? AgentKeyErrorCode.AGENT_KEY_PASSPHRASE : AgentKeyErrorCode.AGENT_KEY_INVALID
    throw new AgentKeyError(code, encrypted ? `cannot decrypt agent key file ${path}: wrong passphrase?` : `agent key file ${path} is not a PKCS#8 PEM key`, { cause: err })
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new AgentKeyError(AgentKeyErrorCode.AGENT_KEY_INVALID, `agent key file ${path} holds a ${String(key.asymmetricKeyType)} key, not Ed25519`)
  const d = key.export({ format: 'jwk' }).d
  if (d == null) throw new AgentKeyError(AgentKeyErrorCode.AGENT_KEY_INVALID, `agent key file ${path} holds no private key`)
  return new Ed25519Signer(new Uint8Array(Buffer.from(d, 'base64url')))
}
