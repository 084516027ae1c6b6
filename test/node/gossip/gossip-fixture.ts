/**
 * In-process nodes for record gossip tests: the mesh fixture (real libp2p on loopback, real hello)
 * plus a real LevelDB store in a temporary directory and a RecordGossip with a test "note" topic.
 * A note is `note:<id>:<check>` where check is the first 16 hex digits of sha256(id); anything else
 * is invalid. Nodes can be stopped and restarted on the same store (same PeerId, same records).
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fail, ok, type Result } from '../../../identity/result.js'
import { silentLogger } from '../../../identity/logger.js'
import { openStore, type Store } from '../../../node/store/index.js'
import { SUBLEVELS } from '../../../node/store/sublevels.js'
import { createRecordGossip, RecordTopics, type RecordGossip, type RecordTopic } from '../../../node/gossip/index.js'
import { formatSwarmKey, parseSwarmKey } from '../../../node/libp2p/swarm-key.js'
import { startMeshNode, waitFor, type MeshFixture } from '../../helpers/mesh-fixture.js'

export const swarmKey = parseSwarmKey(formatSwarmKey(new Uint8Array(32).fill(11)))
export const NOTE_TOPIC = RecordTopics.trust
export const NOTE_MAX_BYTES = 1024

export function noteCheck (id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 16)
}

export function note (id: string): string {
  return `note:${id}:${noteCheck(id)}`
}

export function badNote (id: string): string {
  return `note:${id}:0000000000000000`
}

export interface NoteTopicLog {
  /** Every record the validator saw. */
  validated: string[]
  /** Ids passed to onAccept, in order. */
  accepted: string[]
}

export function noteTopic (log: NoteTopicLog): RecordTopic<{ id: string }> {
  return {
    name: NOTE_TOPIC,
    sublevel: SUBLEVELS.trustAttestations,
    maxBytes: NOTE_MAX_BYTES,
    maxRecords: 1_000,
    validate (record: string): Result<{ id: string, value: { id: string } }> {
      log.validated.push(record)
      const m = /^note:([a-z0-9-]{1,64}):([0-9a-f]{16})$/.exec(record)
      if (m == null) return fail('MALFORMED_RECORD', 'not a note')
      if (m[2] !== noteCheck(m[1])) return fail('BAD_SIGNATURE', `note ${m[1]} has a bad check`)
      return ok({ id: m[1], value: { id: m[1] } })
    },
    async onAccept (value) {
      log.accepted.push(value.id)
    }
  }
}

export interface GossipNode extends MeshFixture, NoteTopicLog {
  orgName: string
  dir: string
  store: Store
  gossip: RecordGossip
  /** Stop everything and close the store (the directory stays for a restart). */
  stop: () => Promise<void>
}

export interface GossipNodeOptions {
  /** The successor book's view (KEY_RETIRED checks of every record). */
  retiredAt?: (did: string) => number | undefined
  /** Topics to register instead of the note topic. */
  topics?: (log: NoteTopicLog) => Array<RecordTopic<unknown>>
}

export async function startGossipNode (orgName: string, dir?: string, options: GossipNodeOptions = {}): Promise<GossipNode> {
  const dataDir = dir ?? await mkdtemp(join(tmpdir(), `tm-gossip-${orgName}-`))
  const mesh = await startMeshNode({ orgName, swarmKey })
  const store = await openStore(dataDir)
  const log: NoteTopicLog = { validated: [], accepted: [] }
  const gossip = createRecordGossip({ libp2p: mesh.libp2p, mesh: mesh.mesh, registry: mesh.registry, store, logger: silentLogger(), clock: { now: () => Date.now() }, ...(options.retiredAt != null ? { retiredAt: options.retiredAt } : {}) })
  for (const t of options.topics?.(log) ?? [noteTopic(log) as RecordTopic<unknown>]) gossip.register(t)
  await gossip.start()
  return {
    ...mesh,
    ...log,
    validated: log.validated,
    accepted: log.accepted,
    orgName,
    dir: dataDir,
    store,
    gossip,
    stop: async () => {
      await gossip.stop()
      await mesh.stop()
      await store.close()
    }
  }
}

export async function removeDir (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

/** Enrol both ways, connect a to b, and wait until each has verified the other. */
export async function link (a: GossipNode, b: GossipNode): Promise<void> {
  const now = Date.now()
  await a.enrolments.add({ orgDid: b.org.did, addrs: [b.addr()] }, now)
  await b.enrolments.add({ orgDid: a.org.did }, now)
  await a.mesh.connectionToOrg(b.org.did, { signal: AbortSignal.timeout(5_000) })
  await waitFor(() => b.registry.orgOfPeer(a.peerId) === a.org.did && a.registry.orgOfPeer(b.peerId) === b.org.did, 5_000, `${a.orgName} and ${b.orgName} to verify each other`)
}

/** The gossipsub internals tests read (the public interface lacks them). */
export interface PubsubInternals {
  getMeshPeers: (topic: string) => string[]
  getScore: (peerId: string) => number
}

export function internals (n: { libp2p: MeshFixture['libp2p'] }): PubsubInternals {
  return n.libp2p.services.pubsub as unknown as PubsubInternals
}

/** Wait until every pair in `pairs` has the other in its gossipsub mesh for the topic. */
export async function waitForMesh (pairs: Array<[GossipNode, GossipNode]>, topic: string = NOTE_TOPIC): Promise<void> {
  await waitFor(() => pairs.every(([x, y]) => internals(x).getMeshPeers(topic).includes(y.peerId) && internals(y).getMeshPeers(topic).includes(x.peerId)), 10_000, 'gossipsub mesh to form')
}

export async function storedIds (n: GossipNode): Promise<string[]> {
  return (await n.gossip.list(NOTE_TOPIC)).map(e => e.id)
}
