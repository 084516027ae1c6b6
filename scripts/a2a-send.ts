/**
 * A runnable A2A client (README, "Connect an agent"): fetches a mesh agent's card from an A2A bridge
 * (`trustmesh a2a serve`), verifies it offline against the agent's org did:key, and sends one
 * message with @a2a-js/sdk; prints the A2A task (state, trustmesh outcome and code, output) as JSON.
 *   node dist/scripts/a2a-send.js --bridge http://127.0.0.1:7410 --to DID --can ABILITY --with RESOURCE [--args JSON]
 */
import { parseArgs } from 'node:util'
import { Client, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client'
import { Role, TaskState } from '@a2a-js/sdk'
import { verifyAgentCard } from '../protocols/agents/agent-card.js'

const { values: o } = parseArgs({ options: { bridge: { type: 'string' }, to: { type: 'string' }, can: { type: 'string' }, with: { type: 'string' }, args: { type: 'string' } } })
if (o.bridge == null || o.to == null) {
  process.stderr.write('usage: a2a-send --bridge URL --to DID [--can ABILITY] [--with RESOURCE] [--args JSON]\n')
  process.exit(2)
}
const card = await new DefaultAgentCardResolver().resolve(o.bridge, `/agents/${o.to}/.well-known/agent-card.json`)
const v = await verifyAgentCard(card)
if (!v.ok) { process.stderr.write(`card refused: ${v.error.code}: ${v.error.message}\n`); process.exit(1) }
const client = new Client(await new JsonRpcTransportFactory().create(`${o.bridge}/agents/${o.to}`, card), card)
const r = await client.sendMessage({
  tenant: '',
  message: {
    messageId: `m-${Date.now()}`, contextId: '', taskId: '', role: Role.ROLE_USER, extensions: [], referenceTaskIds: [],
    parts: [{ content: { $case: 'data', value: o.args != null ? JSON.parse(o.args) as unknown : {} }, metadata: undefined, filename: '', mediaType: 'application/json' }],
    metadata: { trustmesh: { ...(o.can != null ? { ability: o.can } : {}), ...(o.with != null ? { resource: o.with } : {}) } }
  },
  configuration: undefined,
  metadata: undefined
})
if (!('status' in r)) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); process.exit(0) }
const part = r.artifacts[0]?.parts[0]?.content
process.stdout.write(JSON.stringify({ card: v.value, state: TaskState[r.status?.state ?? 0], trustmesh: r.metadata?.trustmesh, output: part?.$case === 'data' ? part.value : undefined }, null, 2) + '\n')
process.exitCode = r.status?.state === TaskState.TASK_STATE_COMPLETED ? 0 : 1
