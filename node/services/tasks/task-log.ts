/** Tasks this node sent or ran, with their outcome and receipt, for `task list` and trust evidence. */
import type { Repository } from '../../store/repository.js'

export interface TaskRecord {
  id: string
  direction: 'sent' | 'received'
  ability: string
  resource: string
  invoker: string
  executor: string
  /** Org on the other side. */
  peerOrg: string
  outcome: 'ok' | 'error' | 'denied' | 'pending'
  code: string
  reason?: string
  link?: number
  at: number
  durationMs: number
  receipt?: string
  approvalId?: string
  /** A received task's output when small enough to keep: a coordinator that lost the reply asks for it. */
  output?: unknown
}

/** Outputs up to this size are kept with a received task (larger ones are answered without output). */
export const MAX_LOGGED_OUTPUT_BYTES = 16 * 1024
/** How far back `find` looks (newest first). */
const FIND_WINDOW = 20_000

export class TaskLog {
  readonly #repo: Repository<TaskRecord>
  constructor (repo: Repository<TaskRecord>) {
    this.#repo = repo
  }

  async put (r: TaskRecord): Promise<void> {
    // key: time first so listings are chronological; the id keeps keys unique. Not synced: the
    // decision is already durable in the audit log (synced before it took effect) and the next
    // synced write of the store flushes this one; a fsync here cost every task ~2 ms (B12 profile)
    await this.#repo.put(`${String(r.at).padStart(15, '0')}/${r.direction}/${r.id}`, r, { sync: false })
  }

  /** The newest record of task `id` in `direction`, within the last records. */
  async find (id: string, direction: TaskRecord['direction'], accept: (r: TaskRecord) => boolean = () => true): Promise<TaskRecord | undefined> {
    for (const [k, v] of await this.#repo.list({ reverse: true, limit: FIND_WINDOW })) if (k.endsWith(`/${direction}/${id}`) && accept(v)) return v
    return undefined
  }

  async list (limit = 200): Promise<TaskRecord[]> {
    return (await this.#repo.list({ reverse: true, limit })).map(([, v]) => v)
  }
}
