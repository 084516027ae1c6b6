/** The package's exports resolve by name: `trustmesh` (the node) and `trustmesh/client` (the agent SDK). */
import { expect } from 'chai'

describe('package exports', function () {
  this.timeout(30_000)
  it('import(\'trustmesh\') gives createNode', async () => {
    const m = await import('trustmesh' as string) as { createNode?: unknown }
    expect(m.createNode).to.be.a('function')
  })

  it('import(\'trustmesh/client\') gives createAgent and the control client', async () => {
    const m = await import('trustmesh/client' as string) as { createAgent?: unknown, createClient?: unknown, generateAgentKeyFile?: unknown }
    expect(m.createAgent).to.be.a('function')
    expect(m.createClient).to.be.a('function')
    expect(m.generateAgentKeyFile).to.be.a('function')
  })
})
