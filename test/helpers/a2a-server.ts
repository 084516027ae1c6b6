/**
 * The A2A server the edge tests talk to: the runnable example in scripts/a2a-echo-server.ts (what an
 * agent framework would run), started on a free loopback port.
 */
import { startA2AEchoServer, type A2AEchoServer } from '../../scripts/a2a-echo-server.js'

export type A2ATestServer = A2AEchoServer

export async function startA2ATestServer (name = 'records-service'): Promise<A2ATestServer> {
  return await startA2AEchoServer(name)
}
