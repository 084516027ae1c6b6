/**
 * The import graph of the source folders: no cycles (type-only imports count) and no upward arrows
 * (identity < authz, trust, audit < protocols < node < cli; client/ beside node/, never importing it).
 * The second block plants a cycle and an upward import in a small in-memory tree to prove the checker
 * can fail.
 */
import { expect } from 'chai'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkImportGraph, checkImports, importEdges, readSources } from '../../scripts/check-imports.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

describe('import graph', () => {
  it('has no import cycle among the source files', () => {
    const cycles = checkImports(root).filter((v) => v.kind === 'cycle').map((v) => v.message)
    expect(cycles).to.deep.equal([])
  })

  it('has no upward import between layers', () => {
    const upward = checkImports(root).filter((v) => v.kind === 'upward').map((v) => v.message)
    expect(upward).to.deep.equal([])
  })

  it('reads the real source tree and its type-only imports', () => {
    const sources = readSources(root)
    expect(sources.has('identity/ucan/validate-chain.ts')).to.equal(true)
    expect(sources.has('cli/main.ts')).to.equal(true)
    const edges = importEdges(sources)
    expect(edges.length).to.be.greaterThan(100)
    const typeOnly = importEdges(new Map([['identity/a.ts', "import type { X } from './b.js'\n"], ['identity/b.ts', 'export type X = 1\n']]))
    expect(typeOnly).to.deep.equal([{ from: 'identity/a.ts', to: 'identity/b.ts', specifier: './b.js' }])
  })
})

describe('import graph checker', () => {
  it('finds a planted cycle, type-only imports included', () => {
    const sources = new Map([
      ['authz/a.ts', "import { b } from './b.js'\nexport const a = b\n"],
      ['authz/b.ts', "import type { C } from '../trust/c.js'\nexport const b = 1 as unknown as C\n"],
      ['trust/c.ts', "export type { A } from '../authz/index.js'\nexport type C = number\n"],
      ['authz/index.ts', "export * from './a.js'\nexport type A = number\n"],
      ['audit/ok.ts', "import { a } from '../authz/a.js'\nexport const ok = a\n"]
    ])
    const violations = checkImportGraph(sources)
    expect(violations).to.have.length(1)
    const v = violations[0]!
    expect(v.kind).to.equal('cycle')
    if (v.kind !== 'cycle') return
    expect(v.files).to.deep.equal(['authz/a.ts', 'authz/b.ts', 'authz/index.ts', 'trust/c.ts'])
    expect(v.example).to.deep.equal(['authz/a.ts', 'authz/b.ts', 'trust/c.ts', 'authz/index.ts', 'authz/a.ts'])
  })

  it('finds a file importing itself', () => {
    const violations = checkImportGraph(new Map([['identity/x.ts', "import type { X } from './x.js'\nexport type X = 1\n"]]))
    expect(violations.map((v) => v.kind)).to.deep.equal(['cycle'])
  })

  it('finds planted upward imports and allows the downward ones', () => {
    const sources = new Map([
      ['identity/keys.ts', "import type { Policy } from '../authz/policy.js'\nexport type K = Policy\n"],
      ['authz/policy.ts', "export type Policy = string\n"],
      ['protocols/task/messages.ts', "import type { Policy } from '../../authz/policy.js'\nexport type M = Policy\n"],
      ['node/services/x.ts', "import type { M } from '../../protocols/task/messages.js'\nimport type { C } from '../../client/c.js'\nexport type X = [M, C]\n"],
      ['client/c.ts', "export type C = 1\n"],
      ['client/d.ts', "const m = await import('../node/services/x.js')\nexport const d = m\n"],
      ['cli/main.ts', "import '../node/services/x.js'\nimport '../client/c.js'\n"],
      ['authz/evil.ts', "export { thing } from '../protocols/task/messages.js'\n"]
    ])
    const messages = checkImportGraph(sources).map((v) => v.message)
    expect(messages).to.deep.equal([
      'upward import: identity/keys.ts (identity/) imports authz/policy.ts (authz/)',
      'upward import: node/services/x.ts (node/) imports client/c.ts (client/)',
      'upward import: client/d.ts (client/) imports node/services/x.ts (node/)',
      'upward import: authz/evil.ts (authz/) imports protocols/task/messages.ts (protocols/)'
    ])
  })

  it('finds a service importing the API layer inside node/ (services never speak HTTP), and allows the API importing services', () => {
    const sources = new Map([
      ['node/services/tasks/d.ts', "import { E } from '../../api/errors.js'\nexport const d = E\n"],
      ['node/api/errors.ts', "export const E = 1\n"],
      ['node/api/agent/r.ts', "import { d } from '../../services/tasks/d.js'\nexport const r = d\n"]
    ])
    expect(checkImportGraph(sources).map((v) => v.message)).to.deep.equal([
      'upward import: node/services/tasks/d.ts (node/services/) imports node/api/errors.ts (node/api/)'
    ])
  })
})
