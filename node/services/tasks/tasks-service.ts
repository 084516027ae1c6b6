/**
 * Tasks across organisations as a node service: the inbound pipeline behind `/trustmesh/task/1.0.0`,
 * the sending end, the task log, and the runner of parked tasks once they are decided.
 */
import type { Components, Service } from '../../components.js'
import { SUBLEVELS as Sublevel } from '../../store/sublevels.js'
import { TASK_MAX_INBOUND_STREAMS, TASK_PROTOCOL, createTaskHandler } from '../../../protocols/task/index.js'
import type { DelegationParts } from '../delegation/delegation-service.js'
import type { ElevationBook } from '../approvals/elevation-book.js'
import { TaskExecutor } from './task-executor.js'
import { TaskSender, SENDER_DEPENDENCIES } from './task-sender.js'
import { TaskLog, type TaskRecord } from './task-log.js'
import { INBOUND_DEPENDENCIES } from './inbound-components.js'
import { ECHO_MAX_INBOUND_STREAMS, ECHO_PROTOCOL, createEchoHandler } from '../../../protocols/echo/index.js'

export const TASKS_DEPENDENCIES = [...new Set([...INBOUND_DEPENDENCIES, ...SENDER_DEPENDENCIES, 'store', 'mesh', 'libp2p'] as const)]
export type TasksComponents = Pick<Components, typeof TASKS_DEPENDENCIES[number]>

export interface TasksService extends Service {
  readonly executor: TaskExecutor
  readonly sender: TaskSender
  readonly tasks: TaskLog
  readonly elevations: ElevationBook
}

export interface TasksOptions {
  /** Ring elevations, shared with the operator API that signs them. */
  elevations: ElevationBook
  /** How long a local agent has to answer a task. */
  taskTimeoutMs?: number
}

export function createTasksService (c: TasksComponents, delegation: DelegationParts, options: TasksOptions): TasksService {
  const tasks = new TaskLog(c.store.repository<TaskRecord>(Sublevel.tasks))
  const elevations = options.elevations
  const executor = new TaskExecutor(c, { checker: delegation.checker, principals: delegation.principals, replay: delegation.replay, tasks, elevations, ...(options.taskTimeoutMs != null ? { taskTimeoutMs: options.taskTimeoutMs } : {}) })
  const sender = new TaskSender({ ctx: c, book: delegation.book, principals: delegation.principals, exchange: delegation.exchange, executor, tasks })
  let started = false
  return {
    name: 'tasks',
    dependencies: TASKS_DEPENDENCIES,
    executor,
    sender,
    tasks,
    elevations,
    async start () {
      if (started) return
      started = true
      await c.mesh.handle(TASK_PROTOCOL, createTaskHandler({
        execute: async (req, from, opts) => await executor.execute(req, from, opts),
        verifiedOrgOf: conn => c.mesh.verifiedPeer(conn.id)?.orgDid,
        logger: c.logger
      }), { maxInboundStreams: TASK_MAX_INBOUND_STREAMS })
      // the bare baseline of the task path (B12): same connection, framing and hello gate, no work
      await c.mesh.handle(ECHO_PROTOCOL, createEchoHandler({ logger: c.logger }), { maxInboundStreams: ECHO_MAX_INBOUND_STREAMS })
    },
    async stop () {
      if (!started) return
      started = false
      await c.libp2p.unhandle(TASK_PROTOCOL).catch(() => undefined)
      await c.libp2p.unhandle(ECHO_PROTOCOL).catch(() => undefined)
    }
  }
}
