/**
 * The checks of `trustmesh doctor`, as pure functions over facts gathered from the data directory and
 * the running node's control API (gather.ts). Each returns findings that say what is wrong and how to
 * fix it. A check that cannot run says `skipped` and why: it is never reported as passed.
 */
import { verifyNodeCredential } from '../../identity/credentials.js'
import type { IdentityFile } from '../identity-file.js'
import { parseSwarmKey } from '../libp2p/swarm-key.js'
import { evaluatePolicy, levelDefault, type EffectivePolicy, type PolicyRequest } from '../../authz/index.js'
import { isLanScope, multiaddrScope } from './address-ranges.js'
import type { KeyLocation } from '../keys/key-location.js'
import { NODE_KEY } from '../data-dir.js'

export type Severity = 'error' | 'warning' | 'info'

export interface Finding {
  readonly id: string
  /** True only when the check ran and passed. */
  readonly ok: boolean
  /** `error` fails doctor (exit 1); `warning` is reported; `info` for passes and skips. */
  readonly severity: Severity
  readonly skipped?: boolean
  readonly message: string
  /** How to fix it (empty when ok). */
  readonly fix: string
}

export const NEAR_EXPIRY_SECONDS = 7 * 24 * 3600

const pass = (id: string, message: string): Finding => ({ id, ok: true, severity: 'info', message, fix: '' })
const error = (id: string, message: string, fix: string): Finding => ({ id, ok: false, severity: 'error', message, fix })
const warning = (id: string, message: string, fix: string): Finding => ({ id, ok: false, severity: 'warning', message, fix })
export const skipped = (id: string, reason: string): Finding => ({ id, ok: false, severity: 'info', skipped: true, message: `skipped: ${reason}`, fix: '' })

/** Facts about one file: absent, or present with its permission bits. */
export type FileFacts = { present: false } | { present: true, mode: number, text?: string }

const octal = (mode: number): string => '0' + (mode & 0o777).toString(8)

export function checkIdentity (identity: IdentityFile | { error: string }): Finding {
  if ('error' in identity) return error('identity', identity.error, 'run: trustmesh init --org-name <name> --data-dir <dir>')
  return pass('identity', `organisation ${identity.orgName} (${identity.orgDid}), node ${identity.peerId}`)
}

/** The loaded policy, or why it does not load. */
export type PolicyFacts = { loaded: true, policy: EffectivePolicy, file: string, digest: string } | { loaded: false, file: string, code: string, message: string }

export function checkPolicyLoaded (p: PolicyFacts): Finding {
  if (!p.loaded) return error('policy.loaded', `${p.code}: ${p.message}`, `fix ${p.file} (the node refuses to start with it); \`trustmesh init\` writes a default-deny policy you can start from`)
  return pass('policy.loaded', `${p.file} loads (${p.policy.levels.length} document(s), digest ${p.digest})`)
}

export function checkPolicyDefaultDeny (p: PolicyFacts): Finding {
  if (!p.loaded) return skipped('policy.default-deny', 'the policy does not load')
  const roots = p.policy.levels.filter(l => l.document.extends.length === 0)
  const loose = roots.filter(l => levelDefault(l.document) !== 'deny')
  if (loose.length > 0) {
    return warning('policy.default-deny', `default is ${loose.map(l => `'${levelDefault(l.document)}' in ${l.file}`).join(', ')}, not deny`, `set \`default: deny\` in ${loose.map(l => l.file).join(', ')} and allow what you need with rules`)
  }
  return pass('policy.default-deny', 'default is deny')
}

const UNKNOWN_ORG = 'did:key:z6MkDoctorUnknownOrganisationProbe'

/**
 * Requests no sane policy allows: an unmapped write, and high-impact (ring 1) abilities from an org
 * nobody enrolled, even at the best trust score. Any allow among them means the policy is allow-all
 * or close to it.
 */
export function allowAllProbes (selfOrg: string): Array<{ what: string, request: PolicyRequest }> {
  const base = { resource: `tm:${selfOrg}/doctor-probe`, callerAgent: 'did:key:z6MkDoctorProbeAgent', selfOrg, trust: 1000, args: {} }
  return [
    { what: 'an unmapped write from an unknown org', request: { ...base, ability: 'doctor-unmapped/write', callerOrg: UNKNOWN_ORG, ring: 1 } },
    { what: 'an unmapped write from our own org', request: { ...base, ability: 'doctor-unmapped/write', callerOrg: selfOrg, ring: 1 } },
    { what: 'a ring-1 payment from an unknown org', request: { ...base, ability: 'payments/transfer', callerOrg: UNKNOWN_ORG, ring: 1 } },
    { what: 'a ring-1 delete from an unknown org', request: { ...base, ability: 'records/delete', callerOrg: UNKNOWN_ORG, ring: 1 } },
    { what: 'node administration from an unknown org', request: { ...base, ability: 'node/admin', callerOrg: UNKNOWN_ORG, ring: 0 } }
  ]
}

export function checkPolicyNotAllowAll (p: PolicyFacts, selfOrg: string | undefined): Finding {
  if (!p.loaded) return skipped('policy.not-allow-all', 'the policy does not load')
  const problems: string[] = []
  for (const level of p.policy.levels) {
    for (const rule of level.document.rules) {
      const m = rule.match
      const everyAbility = m.ability == null || m.ability.includes('*')
      const everyCaller = m.callerOrg == null || m.callerOrg.includes('partner')
      if (rule.effect === 'allow' && everyAbility && everyCaller && m.trust == null && m.args == null) {
        problems.push(`rule '${rule.id}' of ${level.file} allows every ability to every caller`)
      }
    }
  }
  for (const probe of allowAllProbes(selfOrg ?? 'did:key:z6MkDoctorSelfProbe')) {
    const d = evaluatePolicy(p.policy, probe.request)
    if (d.effect === 'allow') problems.push(`it allows ${probe.what} (${probe.request.ability})`)
  }
  if (problems.length > 0) {
    return error('policy.not-allow-all', `the policy is allow-all or close to it: ${problems.join('; ')}`, `allow only named abilities to named callers (callerOrg, ring, trust conditions) in ${p.file}; start from the policy \`trustmesh init\` writes`)
  }
  return pass('policy.not-allow-all', 'unmapped writes and ring-1 abilities from unknown orgs are not allowed')
}

export function checkSwarmKey (f: FileFacts, path: string): Finding[] {
  if (!f.present) return [error('swarm-key', `${path} is missing: the node cannot join a private network`, `copy the mesh's swarm key to ${path} (mode 0600), or run \`trustmesh init --swarm-key <file>\``)]
  const out: Finding[] = []
  try {
    parseSwarmKey(f.text ?? '', path)
    out.push(pass('swarm-key', `${path} is a valid pre-shared key`))
  } catch (err) {
    out.push(error('swarm-key', (err as Error).message, `replace ${path} with the mesh's swarm key (/key/swarm/psk/1.0.0/, /base16/, 64 hex digits)`))
  }
  out.push(checkMode('swarm-key.mode', path, f.mode, 0o600))
  return out
}

function checkMode (id: string, path: string, mode: number, want: number): Finding {
  if ((mode & 0o777 & ~want) !== 0) return error(id, `${path} has mode ${octal(mode)}, readable or writable beyond its owner`, `chmod ${octal(want)} ${path}`)
  return pass(id, `${path} has mode ${octal(mode)}`)
}

export interface KeysFacts {
  dataDir: { path: string, mode?: number }
  keysDir: { path: string, mode?: number }
  keyFiles: Array<{ path: string, mode: number }>
}

export function checkFileModes (k: KeysFacts): Finding[] {
  const out: Finding[] = []
  if (k.dataDir.mode != null) out.push(checkMode('data-dir.mode', k.dataDir.path, k.dataDir.mode, 0o700))
  if (k.keysDir.mode == null) {
    out.push(error('keys.mode', `${k.keysDir.path} is missing: the node has no keys`, 'run: trustmesh init --org-name <name> --data-dir <dir>'))
    return out
  }
  out.push(checkMode('keys.mode', k.keysDir.path, k.keysDir.mode, 0o700))
  const loose = k.keyFiles.filter(f => (f.mode & 0o077) !== 0)
  if (loose.length > 0) out.push(error('keys.file-modes', `key files readable beyond their owner: ${loose.map(f => `${f.path} (${octal(f.mode)})`).join(', ')}`, `chmod 0600 ${loose.map(f => f.path).join(' ')}`))
  else out.push(pass('keys.file-modes', `${k.keyFiles.length} key file(s), each 0600 or stricter`))
  return out
}

/** Where each key lives (a token or an encrypted file): reported, so an operator sees it at a glance. */
export function checkKeyLocations (locations: KeyLocation[]): Finding[] {
  return locations.map(l => l.where === 'pkcs11'
    ? pass(`keys.${l.key}.location`, `${l.key} key on PKCS#11 token "${l.token}" (label ${l.label}, module ${l.module}); the private key never leaves the token`)
    : pass(`keys.${l.key}.location`, `${l.key} key in the encrypted key file ${l.path} (software key)${l.key === NODE_KEY || l.key.startsWith(`${NODE_KEY}-`) ? '; to keep it on a PKCS#11 token: `trustmesh identity rotate --node-key --pkcs11-module ... --token ... --pin-file ...`' : ''}`))
}

export function checkPassphrase (generatedFile: { path: string, present: boolean }): Finding {
  if (generatedFile.present) {
    return warning('keys.passphrase', `the keys are protected by a generated passphrase stored beside them (${generatedFile.path}): anyone who can read the data directory can use them`, `move the passphrase into a secret store, export it as TRUSTMESH_PASSPHRASE for the node, and delete ${generatedFile.path}`)
  }
  return pass('keys.passphrase', 'no passphrase is stored in the data directory')
}

export function checkNodeCredential (f: FileFacts, path: string, identity: IdentityFile | undefined, nowMs: number): Finding {
  if (!f.present) return warning('credential.node', `${path} is missing`, 'start the node (`trustmesh node start`): it issues a fresh NodeCredential')
  const r = verifyNodeCredential((f.text ?? '').trim(), { clock: { now: () => nowMs }, ...(identity != null ? { expectedIssuer: identity.orgDid } : {}) })
  if (!r.ok) return error('credential.node', `the NodeCredential in ${path} is not valid: ${r.error.code}: ${r.error.message}`, 'start the node (`trustmesh node start`): it replaces an invalid or expiring NodeCredential at start, and renews it while it runs')
  if (identity != null && r.value.subject.id !== identity.peerId) {
    return warning('credential.node', `a node key rotation waits for the node's restart: the NodeCredential is for PeerId ${r.value.subject.id}, ${path.replace(/[^/]+$/, 'identity.json')} names ${identity.peerId}`, 'restart the node: it then runs as the new PeerId with a NodeCredential for it, and partners refuse the old one')
  }
  const left = r.value.expiresAt - Math.floor(nowMs / 1000)
  const days = (left / 86400).toFixed(1)
  if (left < NEAR_EXPIRY_SECONDS) return error('credential.node', `the NodeCredential expires in ${days} days (${new Date(r.value.expiresAt * 1000).toISOString()})`, 'a running node renews it before it expires (while it runs and at start): if this stays, the node is not running or cannot sign with the org key; start it (`trustmesh node start`) and read its log')
  return pass('credential.node', `NodeCredential valid for ${days} more days`)
}

export interface StatusFacts { listen: string[], policyDigest: string, startedAt: string, uptimeSeconds: number }

export function checkListenAddresses (s: StatusFacts): Finding {
  const bad = s.listen.filter(a => !isLanScope(multiaddrScope(a)))
  const outside = bad.filter(a => multiaddrScope(a) !== 'unspecified')
  if (outside.length > 0) return error('network.listen', `the node listens on addresses outside loopback and private ranges: ${outside.join(', ')}`, 'restart the node with `--listen /ip4/<private LAN address>/tcp/<port>` only')
  if (bad.length > 0) return warning('network.listen', `the node listens on unspecified addresses: ${bad.join(', ')}`, 'listen on the LAN address explicitly')
  return pass('network.listen', `listening on LAN/loopback only (${s.listen.length} address(es))`)
}

export function checkRunningPolicy (s: StatusFacts, p: PolicyFacts): Finding {
  if (!p.loaded) return skipped('policy.running', 'the policy file does not load')
  if (s.policyDigest !== p.digest) return warning('policy.running', `the running node enforces policy ${s.policyDigest}, but ${p.file} is ${p.digest}`, 'restart the node to enforce the policy on disk (or restore the file)')
  return pass('policy.running', 'the running node enforces the policy on disk')
}

export interface PeerFacts { orgDid: string, name?: string, addrs?: string[] }

export function checkPeerAddresses (peers: PeerFacts[]): Finding {
  const bad: string[] = []
  for (const p of peers) for (const a of p.addrs ?? []) if (!isLanScope(multiaddrScope(a))) bad.push(`${p.name ?? p.orgDid}: ${a}`)
  if (bad.length > 0) return error('network.peers', `partner addresses outside loopback and private ranges: ${bad.join(', ')}`, 'remove them (`trustmesh peer remove <did>`) and enrol the partner again with its LAN address (`trustmesh peer add <did> --addr /ip4/<private>/tcp/<port>`)')
  return pass('network.peers', `${peers.length} partner(s), every address on the LAN`)
}

export interface AuditFacts { ok: boolean, code?: string, message?: string, entries: number, checkpointSize?: number, cosigners: string[], equivocationsSeen?: unknown[], broken?: unknown }

export function checkAudit (a: AuditFacts | { unavailable: string }): Finding {
  if ('unavailable' in a) return skipped('audit.verify', a.unavailable)
  if (!a.ok) return error('audit.verify', `the audit log does not verify: ${a.code ?? 'INVALID'}: ${a.message ?? ''}`, 'stop the node, keep the data directory as evidence, and run `trustmesh audit verify` to see where the log breaks')
  if ((a.equivocationsSeen?.length ?? 0) > 0) return error('audit.verify', `equivocation seen: a log showed this node two different histories (${a.equivocationsSeen?.length})`, 'run `trustmesh audit witness` and investigate the partner named there')
  if (a.checkpointSize == null) return warning('audit.verify', `the audit log verifies (${a.entries} entries) but no checkpoint is signed yet`, 'run `trustmesh audit checkpoint`')
  if (a.cosigners.length === 0) return warning('audit.verify', `the audit log verifies against checkpoint ${a.checkpointSize}, but no partner cosigned it`, 'enrol partners and run `trustmesh audit checkpoint` so they cosign it')
  return pass('audit.verify', `the audit log verifies against its latest checkpoint (size ${a.checkpointSize}), cosigned by ${a.cosigners.length}`)
}

export interface SagaFacts { id: string, state: string, failure?: { step: string, code: string } }

/** Sagas left `stuck` wait for an operator: a compensation kept failing until its deadline. */
export function checkSagas (sagas: SagaFacts[] | { unavailable: string }): Finding {
  if (!Array.isArray(sagas)) return skipped('sagas.stuck', sagas.unavailable)
  const stuck = sagas.filter(s => s.state === 'stuck')
  if (stuck.length > 0) {
    return warning('sagas.stuck', `${stuck.length} saga(s) stuck, half undone: ${stuck.slice(0, 5).map(s => s.id).join(', ')}${stuck.length > 5 ? ', ...' : ''}`, 'run `trustmesh saga show <id>` to see which compensation failed and why, and finish it by hand')
  }
  return pass('sagas.stuck', `${sagas.length} saga(s), none stuck`)
}

/** `<data-dir>/config.yaml`: absent is fine (defaults and flags); present, it must validate. */
export function checkConfigFile (facts: { file: string, present: boolean, error?: string, keys?: string[] }): Finding {
  if (!facts.present) return pass('config.file', `no ${facts.file}: flags and defaults apply`)
  if (facts.error != null) return error('config.file', facts.error, `fix ${facts.file} (the node refuses to start with it)`)
  return pass('config.file', `${facts.file} is valid (${facts.keys?.length === 0 ? 'empty' : (facts.keys ?? []).join(', ')})`)
}

/** A local agent as GET /v1/agents lists it (expiresAt is an ISO time). */
export interface AgentFacts { name: string, did: string, expiresAt: string }

const inDays = (ms: number): string => `${(ms / 86_400_000).toFixed(1)} days`

/**
 * Agent credentials: the node renews each one `renewBeforeMs` before it expires while it runs (the
 * agent re-accepts through the SDK). One already inside that window, or past expiry, was not renewed
 * (the node was down, or the agent never re-accepted): a warning listing them; else a pass naming the
 * earliest expiry. Expired credentials are refused as CREDENTIAL_EXPIRED by every partner.
 */
export function checkAgentCredentials (agents: AgentFacts[] | { unavailable: string }, nowMs: number, renewBeforeMs: number): Finding {
  const id = 'credential.agents'
  if (!Array.isArray(agents)) return skipped(id, agents.unavailable)
  if (agents.length === 0) return pass(id, 'no local agents')
  const rows = agents.map(a => ({ a, at: Date.parse(a.expiresAt) })).sort((x, y) => (Number.isNaN(x.at) ? -Infinity : x.at) - (Number.isNaN(y.at) ? -Infinity : y.at))
  const expired = rows.filter(r => Number.isNaN(r.at) || r.at <= nowMs)
  const due = rows.filter(r => !Number.isNaN(r.at) && r.at > nowMs && r.at - nowMs <= renewBeforeMs)
  if (expired.length > 0 || due.length > 0) {
    const parts = [
      ...expired.map(r => `${r.a.name} (${r.a.did}) expired ${Number.isNaN(r.at) ? '(no valid expiry)' : `${inDays(nowMs - r.at)} ago, at ${r.a.expiresAt}`}`),
      ...due.map(r => `${r.a.name} (${r.a.did}) expires in ${inDays(r.at - nowMs)}, at ${r.a.expiresAt}`)
    ]
    return warning(id, `${expired.length} agent credential(s) expired and ${due.length} within the renewal window (${inDays(renewBeforeMs)}): ${parts.join('; ')}`,
      'keep the node running so it renews credentials due, and keep each agent connected (the SDK re-accepts its renewed credential); an expired credential is refused as CREDENTIAL_EXPIRED until renewed. See `trustmesh agent list`')
  }
  const first = rows[0]
  return pass(id, `${agents.length} agent credential(s), none within the renewal window (${inDays(renewBeforeMs)}); earliest expiry ${first.a.name} at ${first.a.expiresAt} (in ${inDays(first.at - nowMs)})`)
}
