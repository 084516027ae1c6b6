/**
 * An agent process for test/process/agent-api.spec.ts: connects to its node's agent API with its own
 * key (run as another OS user where possible) and tries what an agent may do and what it must not.
 * Prints one JSON object: each attempt's outcome (`ok` or the error code).
 *
 *   node agent-probe.js <agent.sock> <key file> <other agent DID> <resource prefix>
 */
import '../../node/polyfill.js'
import { request } from 'node:http'
import { createAgent } from '../../client/agent.js'
import { loadAgentKeyFile } from '../../identity/agent-key.js'
import { signAgentProof, AGENT_PROOF_HEADER } from '../../identity/agent-proof.js'
import { issueInvocation } from '../../identity/ucan/index.js'
import { Ed25519Signer } from '../../identity/signer.js'

const [socketPath, keyFile, other, resource] = process.argv.slice(2)

interface Raw { status: number, code?: string }

async function raw (method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Raw> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
  return await new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { ...headers, ...(payload != null ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) } }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (d: string) => { text += d }).on('end', () => {
        let code: string | undefined
        try { code = (JSON.parse(text) as { error?: { code?: string } }).error?.code } catch { /* empty body */ }
        resolve({ status: res.statusCode ?? 0, ...(code != null ? { code } : {}) })
      })
    })
    req.on('error', reject)
    req.end(payload)
  })
}

async function main (): Promise<void> {
  const out: Record<string, unknown> = { uid: process.getuid?.() }
  const attempt = async (name: string, f: () => Promise<unknown>): Promise<void> => {
    try { await f(); out[name] = 'ok' } catch (err) { out[name] = (err as { code?: string }).code ?? String(err) }
  }
  const key = await loadAgentKeyFile(keyFile)
  const agent = await createAgent({ socketPath, key: keyFile, acceptCheckMs: 0 })
  const node = agent.node.node
  const nowS = (): number => Math.floor(Date.now() / 1000)
  const signed = async (method: string, path: string, body: unknown, signer = key): Promise<Record<string, string>> =>
    ({ [AGENT_PROOF_HEADER]: await signAgentProof(signer, { method, path, body: body === undefined ? new Uint8Array(0) : Buffer.from(JSON.stringify(body)), audience: node }, nowS()) })

  // what an agent may do
  await attempt('me', async () => { const me = await agent.me(); out.accepted = me.accepted; out.name = me.name })
  await attempt('send', async () => { const r = await agent.send({ to: other, ability: 'records/read', resource: `${resource}/1`, args: { from: 'probe' } }); out.sendOutcome = r.outcome })
  await attempt('delegate', async () => { const g = await agent.delegate({ to: other, ability: 'records/read', resource: `${resource}/7`, ttlSeconds: 600 }); out.grant = g.cid })
  await attempt('revokeOwn', async () => await agent.revoke(out.grant as string, { reason: 'probe' }))
  await attempt('trust', async () => await agent.trust(other))
  await attempt('directory', async () => await agent.directory())
  await attempt('delegations', async () => await agent.delegations())

  // operator routes do not exist on this socket, even with a valid proof
  for (const [m, p, b] of [['GET', '/v1/status', undefined], ['POST', '/v1/approvals/x/approve', {}], ['POST', '/v1/rings/elevations', { agent: 'alice', ring: 1, ttlSeconds: 60 }], ['POST', '/v1/policy/load', { yaml: 'version: 1' }], ['POST', '/v1/agents', { name: 'evil', ring: 1 }], ['POST', '/v1/delegations/x/revoke', {}]] as const) {
    out[`${m} ${p}`] = (await raw(m, p, b, await signed(m, p, b))).code
  }
  // no proof, a replayed proof, a proof claiming another agent, a poll for another agent's tasks
  out.noProof = (await raw('GET', '/v1/agent/me', undefined, {})).code
  const once = await signed('GET', '/v1/agent/me', undefined)
  out.firstUse = (await raw('GET', '/v1/agent/me', undefined, once)).status
  out.replay = (await raw('GET', '/v1/agent/me', undefined, once)).code
  const forged = await signAgentProof({ ...key, did: other, sign: async (d: Uint8Array) => await key.sign(d), publicKey: key.publicKey, algorithm: 'EdDSA' }, { method: 'GET', path: '/v1/agent/me', body: new Uint8Array(0), audience: node }, nowS())
  out.asOther = (await raw('GET', '/v1/agent/me', undefined, { [AGENT_PROOF_HEADER]: forged })).code
  const pollBody = { agent: other, abilities: ['records/read'], waitMs: 0 }
  out.pollOther = (await raw('POST', '/v1/agent/poll', pollBody, await signed('POST', '/v1/agent/poll', pollBody))).code
  // an invocation issued in another agent's name (signed with this key) is not sent
  const plan = await agent.request<{ proof: { jwt: string } }>('POST', '/v1/agent/tasks/plan', { to: other, ability: 'records/read', resource: `${resource}/2` })
  const impostor = Ed25519Signer.generate()
  const inv = await issueInvocation({ did: other, publicKey: impostor.publicKey, algorithm: 'EdDSA', sign: async (d) => await impostor.sign(d) }, { audience: other, resource: `${resource}/2`, ability: 'records/read', proof: plan.proof.jwt, nonce: 'n-' + String(Date.now()), expiration: nowS() + 30 })
  await attempt('sendAsOther', async () => await agent.request('POST', '/v1/agent/tasks', { invocation: inv.jwt }))
  // a delegation this agent holds but did not issue (its org's root grant) is not its to revoke
  const notMine = (await agent.delegations()).find(d => d.issuer !== agent.did)
  await attempt('revokeNotOwn', async () => {
    if (notMine == null) throw Object.assign(new Error('no delegation from another issuer is held'), { code: 'NONE_HELD' })
    await agent.revoke(notMine.cid, { reason: 'probe' })
  })
  // a result for a task that was never given to this agent
  const resultPath = '/v1/agent/tasks/bafkreinotgiventothisagent/result'
  const resultBody = { ok: true, output: 'forged' }
  out.resultNotMine = (await raw('POST', resultPath, resultBody, await signed('POST', resultPath, resultBody))).code
  await agent.close()
  process.stdout.write(JSON.stringify(out) + '\n')
}

main().catch((err: Error & { code?: string }) => { process.stderr.write(`agent-probe: ${err.code ?? ''} ${err.message}\n`); process.exit(1) })
