import { expect } from 'chai'
import { createControlServer } from '../../../node/api/control-server.js'
import type { ControlServer } from '../../../node/api/control-server.js'
import { createClient } from '../../../client/control-client.js'
import type { ControlClient } from '../../../client/control-client.js'
import { createTaskDispatcher } from '../../../node/services/tasks/task-dispatcher.js'
import type { TaskDispatcher, TaskDispatcherOptions } from '../../../node/services/tasks/task-dispatcher.js'
import type { AgentTask, DispatchOutcome } from '../../../node/services/tasks/task-types.js'
import type { TaskLoop } from '../../../client/agent-client.js'
import { silentLogger } from '../../../identity/logger.js'
import { raw, tempDir, waitFor } from './control-fixtures.js'
import type { TempDir } from './control-fixtures.js'
import { registerTaskRoutes } from '../../../node/api/agent/task-routes.js'

const ALICE = 'did:key:z6MkAlice'
const BOB = 'did:key:z6MkBob'
const MALLORY = 'did:key:z6MkMallory'

let seq = 0
function task (ability = 'records/read', extra: Partial<AgentTask> = {}): AgentTask {
  return { id: `t-${++seq}`, ability, resource: 'tm:did:key:z6MkAcme/records/1', args: { n: seq }, invoker: BOB, ...extra }
}

describe('task dispatcher', () => {
  let tmp: TempDir
  let server: ControlServer
  let dispatcher: TaskDispatcher
  let client: ControlClient
  let loops: TaskLoop[]

  const setup = async (opts: Partial<TaskDispatcherOptions> = {}): Promise<void> => {
    await server?.stop()
    await dispatcher?.stop()
    server = createControlServer({ socketPath: tmp.socketPath, logger: silentLogger() })
    dispatcher = createTaskDispatcher({ logger: silentLogger(), graceMs: 150, ...opts })
    // no proofs in this unit test: the body names the agent (the agent API names it from the proof)
    registerTaskRoutes(server, dispatcher, (req) => String((req.body as { agent?: unknown } | undefined)?.agent ?? ''))
    await server.start()
  }
  const onTask = (abilities: string | string[], handler: (t: AgentTask) => Promise<unknown>, agent = ALICE): TaskLoop => {
    const loop = client.onTask(abilities, handler, { agent, waitMs: 5000 })
    loops.push(loop)
    return loop
  }
  /** Register `agent` for `abilities` without taking a task (a zero-wait poll). */
  const register = async (abilities: string[], agent = ALICE): Promise<void> => {
    expect((await raw(tmp.socketPath, 'POST', '/v1/agent/poll', JSON.stringify({ agent, abilities, waitMs: 0 }))).status).to.equal(204)
  }
  const pollOnce = async (abilities: string[], agent = ALICE): Promise<AgentTask> => {
    const r = await raw(tmp.socketPath, 'POST', '/v1/agent/poll', JSON.stringify({ agent, abilities, waitMs: 2000 }))
    expect(r.status).to.equal(200)
    return r.json as AgentTask
  }

  beforeEach(async () => {
    tmp = tempDir()
    loops = []
    await setup()
    client = createClient({ dataDir: tmp.dir })
  })

  afterEach(async () => {
    await Promise.all(loops.map(async (l) => { await l.stop() }))
    await dispatcher.stop()
    await server.stop()
    tmp.remove()
  })

  it('delivers a dispatched task to client.onTask and returns its output', async () => {
    const seen: AgentTask[] = []
    onTask('records/read', async (t) => { seen.push(t); return { echoed: t.args } })
    const t = task()
    const out = await dispatcher.dispatch(ALICE, 'records/read', t, { timeoutMs: 5000 })
    expect(out).to.deep.equal({ ok: true, output: { echoed: t.args } })
    expect(seen).to.have.length(1)
    expect(seen[0]).to.include({ id: t.id, ability: 'records/read', resource: t.resource, invoker: BOB })
    expect(seen[0]?.deadline).to.be.a('number')
  })

  it('matches wildcard registrations on whole segments and keeps agents apart', async () => {
    const got: string[] = []
    onTask(['records/*'], async (t) => { got.push(`alice:${t.ability}`); return 1 })
    onTask(['records/*'], async (t) => { got.push(`mallory:${t.ability}`); return 2 }, MALLORY)
    expect(await dispatcher.dispatch(ALICE, 'records/write/deep', task('records/write/deep'))).to.deep.equal({ ok: true, output: 1 })
    expect((await dispatcher.dispatch(ALICE, 'recordsx/read', task('recordsx/read'))).ok).to.equal(false)
    expect(got).to.deep.equal(['alice:records/write/deep'])
  })

  it('fails closed with NO_HANDLER when no agent registers within the grace period', async () => {
    onTask('mail/read', async () => 'never')
    const t0 = Date.now()
    const out = await dispatcher.dispatch(ALICE, 'records/read', task(), { timeoutMs: 5000 })
    expect(out).to.include({ ok: false, code: 'NO_HANDLER' })
    expect(Date.now() - t0).to.be.greaterThanOrEqual(100)
    expect(await dispatcher.dispatch(BOB, 'records/read', task())).to.include({ code: 'NO_HANDLER' })
  })

  it('delivers to an agent that starts polling within the grace period', async () => {
    await setup({ graceMs: 3000 })
    const pending = dispatcher.dispatch(ALICE, 'records/read', task())
    onTask('records/read', async () => 'late but fine')
    expect(await pending).to.deep.equal({ ok: true, output: 'late but fine' })
  })

  it('answers TASK_TIMEOUT for a slow handler and refuses its late result', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    const started: string[] = []
    onTask('records/read', async (t) => { started.push(t.id); await gate; return 'too late' })
    const t = task()
    const out = await dispatcher.dispatch(ALICE, 'records/read', t, { timeoutMs: 200 })
    expect(out).to.include({ ok: false, code: 'TASK_TIMEOUT' })
    expect(started).to.deep.equal([t.id])
    release()
    const late = await raw(tmp.socketPath, 'POST', `/v1/agent/tasks/${t.id}/result`, JSON.stringify({ ok: true, output: 'x' }))
    expect(late.status).to.equal(409)
    expect(late.json).to.have.nested.property('error.code', 'TASK_ALREADY_FINISHED')
  })

  it('propagates a handler error code, or HANDLER_ERROR when it has none', async () => {
    onTask('records/*', async (t) => {
      if (t.ability === 'records/read') throw Object.assign(new Error('record 1 is locked'), { code: 'RECORD_LOCKED' })
      throw new Error('kaput')
    })
    expect(await dispatcher.dispatch(ALICE, 'records/read', task())).to.deep.equal({ ok: false, code: 'RECORD_LOCKED', message: 'record 1 is locked' })
    expect(await dispatcher.dispatch(ALICE, 'records/write', task('records/write'))).to.deep.equal({ ok: false, code: 'HANDLER_ERROR', message: 'kaput' })
  })

  it('accepts a result once: duplicates get 409, unknown ids and other agents\' tasks 404', async () => {
    await register(['records/read'])
    const t = task()
    const pending = dispatcher.dispatch(ALICE, 'records/read', t)
    const got = await pollOnce(['records/read'])
    expect(got.id).to.equal(t.id)
    const path = `/v1/agent/tasks/${t.id}/result`
    const wrong = await raw(tmp.socketPath, 'POST', path, JSON.stringify({ ok: true, output: 'evil', agent: MALLORY }))
    // a task addressed to another agent does not exist for this one
    expect(wrong.status).to.equal(404)
    expect((await raw(tmp.socketPath, 'POST', path, JSON.stringify({ ok: true, output: 'first', agent: ALICE }))).status).to.equal(200)
    const dup = await raw(tmp.socketPath, 'POST', path, JSON.stringify({ ok: true, output: 'second', agent: ALICE }))
    expect(dup.status).to.equal(409)
    expect(await pending).to.deep.equal({ ok: true, output: 'first' })
    const unknown = await raw(tmp.socketPath, 'POST', '/v1/agent/tasks/nope/result', JSON.stringify({ ok: true }))
    expect(unknown.status).to.equal(404)
    expect(unknown.json).to.have.nested.property('error.code', 'TASK_NOT_FOUND')
  })

  it('a result asking for `next` takes the next queued task in the same exchange (one poll for three tasks)', async () => {
    await register(['records/read'])
    const ts = [task(), task(), task()]
    const pending = ts.map(async t => await dispatcher.dispatch(ALICE, 'records/read', t, { timeoutMs: 5000 }))
    let got = await pollOnce(['records/read'])
    const outputs: string[] = []
    for (let i = 0; i < 3; i++) {
      expect(got.id).to.equal(ts[i].id)
      const r = await raw(tmp.socketPath, 'POST', `/v1/agent/tasks/${got.id}/result`, JSON.stringify({ ok: true, output: `out-${i}`, agent: ALICE, next: { abilities: ['records/read'] } }))
      expect(r.status).to.equal(200)
      outputs.push(`out-${i}`)
      const reply = r.json as { accepted: boolean, next?: AgentTask }
      expect(reply.accepted).to.equal(true)
      if (i < 2) got = reply.next as AgentTask
      else expect(reply.next, 'nothing queued: answered at once, without a task').to.equal(undefined)
    }
    expect((await Promise.all(pending)).map(o => o.ok ? o.output : o.code)).to.deep.equal(outputs)
  })

  it('a result with a malformed `next` is refused and settles nothing', async () => {
    await register(['records/read'])
    const t = task()
    const pending = dispatcher.dispatch(ALICE, 'records/read', t, { timeoutMs: 5000 })
    await pollOnce(['records/read'])
    const bad = await raw(tmp.socketPath, 'POST', `/v1/agent/tasks/${t.id}/result`, JSON.stringify({ ok: true, output: 'x', agent: ALICE, next: { abilities: ['not an ability'] } }))
    expect(bad.status).to.equal(400)
    const good = await raw(tmp.socketPath, 'POST', `/v1/agent/tasks/${t.id}/result`, JSON.stringify({ ok: true, output: 'y', agent: ALICE }))
    expect(good.status).to.equal(200)
    expect(await pending).to.deep.equal({ ok: true, output: 'y' })
  })

  it('onTask under load: queued tasks come with the previous result, not from new polls', async () => {
    let polls = 0
    let results = 0
    const counting = createClient({ dataDir: tmp.dir })
    const counted = { request: async <T>(method: string, path: string, body?: unknown, o?: { signal?: AbortSignal, timeoutMs?: number }): Promise<T> => {
      if (path === '/v1/agent/poll') polls++; else results++
      return await counting.request<T>(method, path, body, o)
    } }
    const { runTaskLoop } = await import('../../../client/agent-client.js')
    loops.push(runTaskLoop(counted, ['records/read'], async (t) => t.args, { agent: ALICE, waitMs: 5000 }))
    await waitFor(() => dispatcher.hasHandler(ALICE, 'records/read'))
    const outs = await Promise.all(Array.from({ length: 20 }, async () => { const t = task(); return await dispatcher.dispatch(ALICE, 'records/read', t, { timeoutMs: 5000 }) }))
    expect(outs.every(o => o.ok)).to.equal(true)
    expect(results).to.equal(20)
    expect(polls, 'polls for 20 tasks queued at once').to.be.lessThan(5)
  })

  it('refuses a result for a task not yet delivered, and duplicate task ids', async () => {
    await register(['records/read'])
    const t = task()
    const pending = dispatcher.dispatch(ALICE, 'records/read', t, { timeoutMs: 300 })
    const early = await raw(tmp.socketPath, 'POST', `/v1/agent/tasks/${t.id}/result`, JSON.stringify({ ok: true, agent: ALICE }))
    expect(early.status).to.equal(409)
    expect(early.json).to.have.nested.property('error.code', 'TASK_NOT_DELIVERED')
    expect(await dispatcher.dispatch(ALICE, 'records/read', t)).to.include({ code: 'DUPLICATE_TASK' })
    expect(await pending).to.include({ code: 'TASK_TIMEOUT' })
  })

  it('bounds the queue per agent with AGENT_BUSY', async () => {
    await setup({ maxPendingPerAgent: 2 })
    await register(['records/read'])
    const a = dispatcher.dispatch(ALICE, 'records/read', task(), { timeoutMs: 300 })
    const b = dispatcher.dispatch(ALICE, 'records/read', task(), { timeoutMs: 300 })
    expect(await dispatcher.dispatch(ALICE, 'records/read', task())).to.include({ ok: false, code: 'AGENT_BUSY' })
    expect((await a).ok).to.equal(false)
    expect((await b).ok).to.equal(false)
  })

  it('caps the output size with OUTPUT_TOO_LARGE', async () => {
    await setup({ maxOutputBytes: 100 })
    onTask('records/read', async () => 'x'.repeat(200))
    expect(await dispatcher.dispatch(ALICE, 'records/read', task())).to.include({ ok: false, code: 'OUTPUT_TOO_LARGE' })
  })

  it('rejects malformed polls and dispatches', async () => {
    for (const body of [{}, { agent: 'alice', abilities: ['a'] }, { agent: ALICE, abilities: [] }, { agent: ALICE, abilities: ['*/x'] }, { agent: ALICE, abilities: ['a'], waitMs: -1 }]) {
      const r = await raw(tmp.socketPath, 'POST', '/v1/agent/poll', JSON.stringify(body))
      expect(r.status, JSON.stringify(body)).to.equal(400)
      expect(r.json).to.have.nested.property('error.code', 'BAD_REQUEST')
    }
    expect(await dispatcher.dispatch(ALICE, 'records/*', task('records/*'))).to.include({ code: 'BAD_TASK' })
    expect(await dispatcher.dispatch(ALICE, 'records/read', task('records/write'))).to.include({ code: 'BAD_TASK' })
    expect(await dispatcher.dispatch('alice', 'records/read', task())).to.include({ code: 'BAD_TASK' })
  })

  it('aborts a dispatch through its signal', async () => {
    await register(['records/read'])
    const ac = new AbortController()
    const pending = dispatcher.dispatch(ALICE, 'records/read', task(), { signal: ac.signal, timeoutMs: 5000 })
    ac.abort()
    expect(await pending).to.include({ ok: false, code: 'ABORTED' })
  })

  it('an abort after the agent took the task waits for its real outcome (nothing it did goes unrecorded)', async () => {
    await register(['records/read'])
    const ac = new AbortController()
    const t = task()
    const pending = dispatcher.dispatch(ALICE, 'records/read', t, { signal: ac.signal, timeoutMs: 5000 })
    const taken = await pollOnce(['records/read'])
    expect(taken.id).to.equal(t.id)
    ac.abort()
    const r = await raw(tmp.socketPath, 'POST', `/v1/agent/tasks/${encodeURIComponent(t.id)}/result`, JSON.stringify({ agent: ALICE, ok: true, output: { done: 1 } }))
    expect(r.status, JSON.stringify(r.json)).to.be.lessThan(300)
    expect(await pending).to.deep.equal({ ok: true, output: { done: 1 } })
  })

  it('stop() ends long polls promptly and fails pending dispatches closed', async () => {
    await register(['records/read'])
    const pending: Promise<DispatchOutcome> = dispatcher.dispatch(ALICE, 'records/read', task('records/read'), { timeoutMs: 10_000 })
    const poll = raw(tmp.socketPath, 'POST', '/v1/agent/poll', JSON.stringify({ agent: BOB, abilities: ['mail/read'], waitMs: 30_000 }))
    await waitFor(() => dispatcher.hasHandler(BOB, 'mail/read'))
    const t0 = Date.now()
    await dispatcher.stop()
    expect((await poll).status).to.equal(204)
    expect(await pending).to.include({ ok: false, code: 'DISPATCHER_STOPPED' })
    expect(Date.now() - t0).to.be.lessThan(1000)
    const after = await raw(tmp.socketPath, 'POST', '/v1/agent/poll', JSON.stringify({ agent: BOB, abilities: ['mail/read'] }))
    expect(after.status).to.equal(503)
  })

  it('server stop() ends an open long poll promptly', async () => {
    const poll = raw(tmp.socketPath, 'POST', '/v1/agent/poll', JSON.stringify({ agent: BOB, abilities: ['mail/read'], waitMs: 30_000 })).catch((err: Error) => err)
    await waitFor(() => dispatcher.hasHandler(BOB, 'mail/read'))
    const t0 = Date.now()
    await server.stop()
    await poll
    expect(Date.now() - t0).to.be.lessThan(1000)
  })

  it('onTask stop() and its signal end the loop promptly', async () => {
    const loop = onTask('records/read', async () => 1)
    await waitFor(() => dispatcher.hasHandler(ALICE, 'records/read'))
    const t0 = Date.now()
    await loop.stop()
    expect(Date.now() - t0).to.be.lessThan(1000)

    const ac = new AbortController()
    const other = client.onTask('mail/read', async () => 1, { agent: BOB, signal: ac.signal })
    await waitFor(() => dispatcher.hasHandler(BOB, 'mail/read'))
    ac.abort()
    await other.done
  })

  it('onTask backs off and keeps going while the node is down', async () => {
    const errors: Error[] = []
    await server.stop()
    const loop = client.onTask('records/read', async () => 'back', { agent: ALICE, onError: (e) => { errors.push(e) } })
    loops.push(loop)
    await waitFor(() => errors.length >= 2)
    expect(errors[0]).to.have.property('code', 'NODE_NOT_RUNNING')
    await server.start()
    await waitFor(() => dispatcher.hasHandler(ALICE, 'records/read'), 10_000)
    expect(await dispatcher.dispatch(ALICE, 'records/read', task(), { timeoutMs: 10_000 })).to.deep.equal({ ok: true, output: 'back' })
  })
})
