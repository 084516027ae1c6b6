/**
 * Audit (DESIGN.md section 8): every decision is appended to the node's Merkle log before it takes
 * effect (a `beforeDecision` hook: if the append fails the hook throws and the decision is a DENY),
 * checkpoints are signed at an interval and on demand, enrolled peers cosign them over
 * `/trustmesh/audit/1.0.0` after checking consistency, and cosigned checkpoints are gossiped on the
 * audit topic so witnesses can compare what one node showed each of them (equivocation).
 */
import { createHash } from 'node:crypto'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { publicKeyFromDidKey } from '../../../identity/did-key.js'
import type { Connection } from '@libp2p/interface'
import type { AuditRecorder, Components, Service } from '../../components.js'
import { SUBLEVELS as Sublevel } from '../../store/sublevels.js'
import { RecordTopics } from '../../gossip/index.js'
import { parseCheckpoint, verifyCheckpoint, type AuditStore, type Equivocation, type WitnessLevel } from '../../../audit/index.js'
import { fail, ok, type Result } from '../../../identity/result.js'
import { AuditService, type TextLevel } from './audit-service.js'
import { WitnessService } from './witness-service.js'
import { AuditExchange, type CosignOutcome } from './audit-exchange.js'
import { AUDIT_MAX_INBOUND_STREAMS, AUDIT_MAX_OUTBOUND_STREAMS, AUDIT_PROTOCOL, AUDIT_TIMEOUT_MS } from '../../../protocols/audit/messages.js'
import { AUDIT_PROOF_PROTOCOL, createProofHandler, requestConsistencyProof } from '../../../protocols/audit/proof.js'
import { parseDidKey } from '../../../identity/did-key.js'
import { peerIdStringFromPublicKey } from '../../../identity/peer-id.js'

/** Default checkpoint interval (setting `auditIntervalMs`, env `TRUSTMESH_AUDIT_INTERVAL_MS`). */
export const AUDIT_CHECKPOINT_INTERVAL_MS = 30_000
/** Delays before asking a newly verified peer to cosign (its side of hello may lag ours). */
const COSIGN_ON_CONNECT_DELAYS_MS = [300, 1_500]
const NODE_ORIGIN = /^trustmesh\/(did:key:z[1-9A-HJ-NP-Za-km-z]+)$/

export interface AuditServices {
  service: AuditService
  witness: WitnessService
  exchange: AuditExchange
  /** Signs a checkpoint of the current tree if needed and asks every connected peer node to cosign it. */
  round: () => Promise<{ checkpoint: string, outcomes: CosignOutcome[] }>
}

export const AUDIT_DEPENDENCIES = ['clock', 'logger', 'identity', 'nodeSigner', 'store', 'gossip', 'mesh', 'libp2p', 'registry'] as const
export type AuditComponents = Pick<Components, typeof AUDIT_DEPENDENCIES[number]>

export interface AuditNodeService extends Service {
  readonly services: AuditServices
  /** Every decision path records through this before the decision takes effect. */
  readonly recorder: AuditRecorder
}

export async function createAuditNodeService (ctx: AuditComponents, options: { intervalMs?: number } = {}): Promise<AuditNodeService> {
  const logger = ctx.logger.child('audit')
  const did = ctx.nodeSigner.did
  const service = await AuditService.open({
    entries: ctx.store.sublevel(Sublevel.auditEntries) as unknown as AuditStore,
    checkpoints: ctx.store.sublevel(Sublevel.auditCheckpoints) as unknown as TextLevel,
    cosigners: ctx.store.sublevel(Sublevel.auditCosignatures) as unknown as TextLevel,
    did,
    signer: ctx.nodeSigner,
    clock: ctx.clock,
    logger
  })
  const equivocations: Equivocation[] = []
  // a witness that sees two sizes of one log asks its owner (a verified peer node) for the proof
  const proofOf = async (ownerDid: string, from: number, to: number, opts: { signal?: AbortSignal }): Promise<Uint8Array[] | undefined> => {
    const pub = parseDidKey(ownerDid)
    if (!pub.ok) return undefined
    const conn = peerConnections(peerIdStringFromPublicKey(pub.value))[0]
    if (conn == null) throw new Error(`the owner ${ownerDid} is not connected`)
    const reply = await requestConsistencyProof(conn, { v: 1, from, to }, opts)
    return reply.ok && reply.proof != null ? reply.proof.map(h => new Uint8Array(Buffer.from(h, 'base64'))) : undefined
  }
  const witness = new WitnessService({
    level: ctx.store.sublevel(Sublevel.auditWitness) as unknown as WitnessLevel,
    signer: ctx.nodeSigner,
    did,
    clock: ctx.clock,
    logger,
    onEquivocation: (r) => { equivocations.push(r) },
    proofOf
  })
  for (const e of await witness.equivocations()) equivocations.push(e)

  let started = false
  const publish = (text: string): void => {
    if (!started) return
    ctx.gossip.publish(RecordTopics.audit, text)
      .then(r => { if (!r.ok) logger.warn('audit checkpoint not gossiped', { code: r.error.code, error: r.error.message }) })
      .catch(err => { logger.warn('audit checkpoint not gossiped', { error: (err as Error).message }) })
  }
  const exchange = new AuditExchange({
    service,
    witness,
    logger,
    newStream: async (conn, signal) => await conn.newStream(AUDIT_PROTOCOL, { signal }),
    onCosigned: publish
  })

  /** One verified connection per peer node. */
  function peerConnections (peerId?: string): Connection[] {
    const seen = new Set<string>()
    const out: Connection[] = []
    for (const c of ctx.libp2p.getConnections()) {
      const p = c.remotePeer.toString()
      if (c.status !== 'open' || !ctx.registry.isVerified(c.id) || seen.has(p) || (peerId != null && p !== peerId)) continue
      seen.add(p)
      out.push(c)
    }
    return out
  }

  let rounds: Promise<unknown> = Promise.resolve()
  const round = async (peerId?: string): Promise<{ checkpoint: string, outcomes: CosignOutcome[] }> => {
    const run = rounds.then(async () => {
      const checkpoint = await service.checkpoint()
      const outcomes = await Promise.all(peerConnections(peerId).map(async c => await exchange.requestCosignature(c, checkpoint)))
      const latest = await service.latest() ?? checkpoint
      publish(latest)
      return { checkpoint: latest, outcomes }
    })
    rounds = run.catch(() => undefined)
    return await run
  }

  // the append is the first thing every decision waits for; its failure is the decision's DENY
  const recorder: AuditRecorder = {
    record: async (event): Promise<Result<void>> => {
      try {
        await service.append(event)
        return ok(undefined)
      } catch (err) {
        return fail('AUDIT_UNAVAILABLE', `the audit log cannot be written: ${(err as Error).message}`)
      }
    },
    size: () => service.log.size()
  }

  /** A node key is an enrolled node's when its PeerId completed hello as an enrolled org. */
  const isEnrolledNodeKey = (did: string): boolean => {
    try {
      return ctx.registry.orgOfPeer(peerIdFromPublicKey(publicKeyFromRaw(publicKeyFromDidKey(did))).toString()) != null
    } catch {
      return false
    }
  }

  ctx.gossip.register<string>({
    name: RecordTopics.audit,
    sublevel: Sublevel.auditGossip,
    maxBytes: 16 * 1024,
    maxRecords: 1_000,
    validate: (record) => {
      const cp = parseCheckpoint(record)
      if (!cp.ok) return cp
      const m = NODE_ORIGIN.exec(cp.value.origin)
      if (m == null) return fail('UNKNOWN_ORIGIN', `audit checkpoint origin ${cp.value.origin} names no node key`)
      if (m[1] !== ctx.nodeSigner.did && !isEnrolledNodeKey(m[1])) return fail('UNKNOWN_NODE', `audit checkpoint of ${m[1]}, not the node key of an enrolled org`)
      const v = verifyCheckpoint(record, { origin: cp.value.origin, publicKeyOrDid: m[1] })
      if (!v.ok) return v
      return ok({ id: createHash('sha256').update(record).digest('hex'), value: record })
    },
    ignorable: ['UNKNOWN_NODE'],
    issuerOf: (record) => NODE_ORIGIN.exec(parseCheckpoint(record).ok ? (parseCheckpoint(record) as { value: { origin: string } }).value.origin : '')?.[1] ?? 'unknown',
    onAccept: async (record) => {
      // compared in the background: a different size means asking the owner for a proof over the network
      void witness.observe(record, { signal: AbortSignal.timeout(AUDIT_TIMEOUT_MS * 2) }).then(r => {
        if (!r.ok && r.error.code !== 'EQUIVOCATION' && r.error.code !== 'INCONSISTENT') logger.debug('gossiped checkpoint not compared', { code: r.error.code })
      }, err => { logger.warn('gossiped checkpoint not compared', { error: (err as Error).message }) })
    }
  })

  const status = (): unknown => ({
    entries: service.log.size(),
    ...(service.broken() != null ? { broken: service.broken() } : {}),
    equivocations: equivocations.map(e => ({ origin: e.origin, size: e.size, detectedAt: new Date(e.detectedAt).toISOString() }))
  })

  const services: AuditServices = { service, witness, exchange, round: async () => await round() }

  let timer: ReturnType<typeof setInterval> | undefined
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let unsubscribe: (() => void) | undefined
  let lastRoundSize = -1
  const tick = (): void => {
    if (service.broken() != null || service.log.size() === lastRoundSize) return
    lastRoundSize = service.log.size()
    round().catch(err => { logger.warn('audit checkpoint round failed', { error: (err as Error).message }) })
  }

  return {
    name: 'audit',
    dependencies: AUDIT_DEPENDENCIES,
    services,
    recorder,
    status,
    async start () {
      if (started) return
      started = true
      await ctx.mesh.handle(AUDIT_PROTOCOL, async (stream, conn) => { await exchange.serve(stream, conn) }, { maxInboundStreams: AUDIT_MAX_INBOUND_STREAMS, maxOutboundStreams: AUDIT_MAX_OUTBOUND_STREAMS })
      await ctx.mesh.handle(AUDIT_PROOF_PROTOCOL, createProofHandler({
        prove: async (from, to) => to <= service.log.size() ? await service.log.consistencyProof(from, to) : undefined,
        logger
      }), { maxInboundStreams: AUDIT_MAX_INBOUND_STREAMS, maxOutboundStreams: AUDIT_MAX_OUTBOUND_STREAMS })
      try {
        await service.appendEntry('node.start', did, { org: ctx.identity.orgDid, peerId: ctx.identity.peerId })
        await service.checkpoint()
      } catch (err) {
        logger.error('audit log unavailable at start: decisions will be denied', { error: (err as Error).message })
      }
      unsubscribe = ctx.mesh.onPeerVerified((peer) => {
        for (const delay of COSIGN_ON_CONNECT_DELAYS_MS) {
          const t = setTimeout(() => {
            timers.delete(t)
            if (!started || service.broken() != null) return
            round(peer.peerId).catch(err => { logger.debug('cosign on connect failed', { error: (err as Error).message }) })
          }, delay)
          t.unref()
          timers.add(t)
        }
      })
      timer = setInterval(tick, options.intervalMs ?? AUDIT_CHECKPOINT_INTERVAL_MS)
      timer.unref()
    },
    async stop () {
      if (!started) return
      started = false
      if (timer != null) clearInterval(timer)
      for (const t of timers) clearTimeout(t)
      timers.clear()
      unsubscribe?.()
      await rounds.catch(() => undefined)
      if (service.broken() == null) {
        await service.appendEntry('node.stop', did, {}).catch(err => { logger.warn('node.stop not audited', { error: (err as Error).message }) })
        await service.checkpoint().catch(() => undefined)
      }
      await ctx.libp2p.unhandle(AUDIT_PROTOCOL).catch(() => undefined)
      await ctx.libp2p.unhandle(AUDIT_PROOF_PROTOCOL).catch(() => undefined)
    }
  }
}
