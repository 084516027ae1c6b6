/**
 * The successors gossip topic: successor records (org key rotations) travel the mesh like
 * revocations, persisted and exchanged on connect, so partners learn a rotation even before the
 * rotated node's next hello. A record that verifies is kept; when it names a successor of an org we
 * enrolled, we follow it (enrol the new DID, audited) as hello would.
 */
import { verifySuccessorRecord } from '../../identity/successor-record.js'
import { fail, ok } from '../../identity/result.js'
import type { RecordGossip } from '../gossip/index.js'
import { RecordTopics } from '../gossip/record-topic.js'
import { SUBLEVELS as Sublevel } from '../store/sublevels.js'
import type { SuccessorBook } from './successor-book.js'

export function registerSuccessorTopic (gossip: RecordGossip, successors: SuccessorBook): void {
  gossip.register<string>({
    name: RecordTopics.successors,
    sublevel: Sublevel.successorRecords,
    maxBytes: 4096,
    maxRecords: 1_000,
    // signed by the key it retires, at the moment of retirement: never itself KEY_RETIRED
    signedBy: () => null,
    validate: (record) => {
      const r = verifySuccessorRecord(record)
      if (!r.ok) return r
      // a key names one successor: a second one (a fork by a retired key) is neither kept nor forwarded
      const known = successors.successorsOf(r.value.oldDid)[0]
      if (known != null && known !== r.value.newDid) return fail('SUCCESSOR_CONFLICT', `${r.value.oldDid} already names ${known} as its successor, not ${r.value.newDid}`)
      return ok({ id: `${r.value.oldDid}>${r.value.newDid}`, value: record })
    },
    onAccept: async (record) => {
      const r = verifySuccessorRecord(record)
      if (!r.ok) return
      successors.follow(r.value.newDid, [record])
      await successors.add(record)
    }
  })
}
