/**
 * `trustmesh doctor` shows agent credential expiry (issue 14): the `credential.agents` check warns
 * about agents whose credential is past expiry or inside the renewal window (the node should have
 * renewed it), and otherwise passes naming the earliest expiry. It is a live check: skipped, never
 * passed, when the node does not answer; runDoctor feeds it GET /v1/agents.
 */
import { expect } from 'chai'
import { checkAgentCredentials, type AgentFacts } from '../../../node/doctor/checks.js'
import { runDoctor } from '../../../node/doctor/index.js'
import { removeDir, tempDir } from '../../helpers/node-process.js'

const DAY = 86_400_000
const NOW = Date.parse('2026-12-02T12:00:00.000Z')
const WINDOW = 7 * DAY
const agent = (name: string, inMs: number): AgentFacts => ({ name, did: `did:key:z6Mk${name}`, expiresAt: new Date(NOW + inMs).toISOString() })

describe('doctor: agent credential expiry (credential.agents)', () => {
  it('passes naming the earliest expiry when every credential is outside the renewal window', () => {
    const f = checkAgentCredentials([agent('alice', 29 * DAY), agent('bob', 12 * DAY), agent('carol', 20 * DAY)], NOW, WINDOW)
    expect(f).to.include({ id: 'credential.agents', ok: true, severity: 'info', fix: '' })
    expect(f.message).to.include('3 agent credential(s)')
    expect(f.message).to.include(`earliest expiry bob at ${new Date(NOW + 12 * DAY).toISOString()}`)
    expect(f.message).to.include('in 12.0 days')
  })

  it('warns listing the agents inside the renewal window and those expired, and only them', () => {
    const f = checkAgentCredentials([agent('alice', 29 * DAY), agent('bob', 2 * DAY), agent('carol', -3 * DAY), agent('dave', WINDOW)], NOW, WINDOW)
    expect(f).to.include({ id: 'credential.agents', ok: false, severity: 'warning' })
    expect(f.message).to.include('1 agent credential(s) expired and 2 within the renewal window (7.0 days)')
    expect(f.message).to.include('carol (did:key:z6Mkcarol) expired 3.0 days ago')
    expect(f.message).to.include('bob (did:key:z6Mkbob) expires in 2.0 days')
    expect(f.message).to.include('dave (did:key:z6Mkdave) expires in 7.0 days')
    expect(f.message).to.not.include('alice')
    expect(f.fix).to.include('renew').and.include('CREDENTIAL_EXPIRED')
  })

  it('an expiry just past now is expired; one that does not parse is reported, not passed', () => {
    expect(checkAgentCredentials([agent('alice', 0)], NOW, WINDOW).message).to.include('1 agent credential(s) expired and 0 within')
    const bad = checkAgentCredentials([{ name: 'eve', did: 'did:key:z6Mkeve', expiresAt: 'never' }, agent('alice', 20 * DAY)], NOW, WINDOW)
    expect(bad).to.include({ ok: false, severity: 'warning' })
    expect(bad.message).to.include('eve (did:key:z6Mkeve) expired (no valid expiry)')
  })

  it('the window is the one given (a node with TRUSTMESH_AGENT_RENEW_BEFORE set renews earlier)', () => {
    expect(checkAgentCredentials([agent('bob', 12 * DAY)], NOW, WINDOW).ok).to.equal(true)
    expect(checkAgentCredentials([agent('bob', 12 * DAY)], NOW, 14 * DAY)).to.include({ ok: false, severity: 'warning' })
  })

  it('no agents passes; an unavailable agent list is skipped, never passed', () => {
    expect(checkAgentCredentials([], NOW, WINDOW)).to.include({ ok: true, message: 'no local agents' })
    expect(checkAgentCredentials({ unavailable: 'GET /v1/agents failed: x' }, NOW, WINDOW)).to.include({ ok: false, skipped: true, severity: 'info' })
  })

  describe('runDoctor', () => {
    let dir: string
    beforeEach(() => { dir = tempDir('tmdac') })
    afterEach(() => { removeDir(dir) })

    const statusFacts = { listen: ['/ip4/127.0.0.1/tcp/1'], policyDigest: 'x', startedAt: new Date(NOW).toISOString(), uptimeSeconds: 1 }
    function node (agents: AgentFacts[] | Error): <T>(method: string, path: string) => Promise<T> {
      return async <T>(method: string, path: string): Promise<T> => {
        if (method === 'GET' && path === '/v1/status') return statusFacts as T
        if (method === 'GET' && path === '/v1/agents') { if (agents instanceof Error) throw agents; return agents as T }
        if (method === 'GET' && (path === '/v1/peers' || path === '/v1/sagas')) return [] as T
        throw Object.assign(new Error('not here'), { code: 'NOT_FOUND' })
      }
    }
    const findingOf = (r: Awaited<ReturnType<typeof runDoctor>>): ReturnType<typeof checkAgentCredentials> => {
      const f = r.findings.find(x => x.id === 'credential.agents')
      if (f == null) throw new Error(`no credential.agents in ${JSON.stringify(r.findings.map(x => x.id))}`)
      return f
    }

    it('checks the running node\'s agents with the clock and window given', async () => {
      const r = await runDoctor({ dataDir: dir, clock: { now: () => NOW }, request: node([agent('alice', 3 * DAY), agent('bob', 30 * DAY)]), agentRenewBeforeMs: WINDOW })
      const f = findingOf(r)
      expect(f).to.include({ ok: false, severity: 'warning' })
      expect(f.message).to.include('alice (did:key:z6Mkalice) expires in 3.0 days')
      expect(findingOf(await runDoctor({ dataDir: dir, clock: { now: () => NOW }, request: node([agent('bob', 30 * DAY)]), agentRenewBeforeMs: WINDOW }))).to.include({ ok: true })
    })

    it('skipped when the node is not running or its agent list fails', async () => {
      const down = async (): Promise<never> => { throw Object.assign(new Error('no node'), { code: 'NODE_NOT_RUNNING' }) }
      expect(findingOf(await runDoctor({ dataDir: dir, clock: { now: () => NOW }, request: down }))).to.include({ skipped: true })
      const f = findingOf(await runDoctor({ dataDir: dir, clock: { now: () => NOW }, request: node(new Error('boom')) }))
      expect(f).to.include({ skipped: true })
      expect(f.message).to.include('GET /v1/agents failed: boom')
    })
  })
})
