/** The CLI's way to reach the running node: its operator API (control.sock), or the agent API as one agent with its key. */
import { createClient, type ControlClient } from '../client/control-client.js'
import { createAgent, type Agent } from '../client/agent.js'
import { agentKeyFile, dataDirLayout } from '../node/data-dir.js'

export function nodeClient (dataDir: string, timeoutMs?: number): ControlClient {
  const layout = dataDirLayout(dataDir)
  return createClient({ dataDir: layout.root, socketPath: layout.controlSocket, ...(timeoutMs != null ? { timeoutMs } : {}) })
}

/** One request; control errors keep their code and message for the CLI's one-line error. */
export async function call<T> (dataDir: string, method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
  return await nodeClient(dataDir, timeoutMs).request<T>(method, path, body)
}

/**
 * The operator acting as one agent: only with that agent's key (DESIGN.md section 2b), over the agent
 * API like any agent. Without --key, the key file the CLI wrote when it created the agent is used.
 */
export async function agentAs (dataDir: string, agent: string, keyFile?: string): Promise<Agent> {
  const layout = dataDirLayout(dataDir)
  const key = keyFile ?? (agent === '' || agent.startsWith('did:') ? undefined : agentKeyFile(layout, agent))
  if (key == null) throw Object.assign(new Error(`acting as ${agent} needs its key: --key FILE`), { code: 'USAGE' })
  const a = await createAgent({ dataDir: layout.root, socketPath: layout.agentSocket, key, acceptCheckMs: 0 })
  if (agent !== '' && a.did !== agent && !agent.startsWith('did:')) {
    const me = await a.me()
    if (me.name !== agent) throw Object.assign(new Error(`the key ${key} belongs to agent ${me.name}, not ${agent}`), { code: 'WRONG_KEY' })
  } else if (agent.startsWith('did:') && a.did !== agent) {
    throw Object.assign(new Error(`the key ${key} is ${a.did}, not ${agent}`), { code: 'WRONG_KEY' })
  }
  return a
}
