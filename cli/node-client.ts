/** The CLI's way to reach the running node: its control API on the data directory's socket. */
import { createClient, type ControlClient } from '../client/control-client.js'
import { dataDirLayout } from '../node/data-dir.js'

export function nodeClient (dataDir: string, timeoutMs?: number): ControlClient {
  const layout = dataDirLayout(dataDir)
  return createClient({ dataDir: layout.root, socketPath: layout.controlSocket, ...(timeoutMs != null ? { timeoutMs } : {}) })
}

/** One request; control errors keep their code and message for the CLI's one-line error. */
export async function call<T> (dataDir: string, method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
  return await nodeClient(dataDir, timeoutMs).request<T>(method, path, body)
}
