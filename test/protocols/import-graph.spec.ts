/**
 * protocols/ depends only on identity/ and the pure cores (authz/, trust/, audit/) and on itself:
 * never on node/, cli/ or client/. Checked on the compiled output, so re-exports count too.
 */
import { expect } from 'chai'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const DIST = fileURLToPath(new URL('../../', import.meta.url))
const ALLOWED = ['protocols', 'identity', 'authz', 'trust', 'audit']
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g

function jsFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [])
}

describe('protocols/ import graph', () => {
  it('imports nothing from node/, cli/ or client/', () => {
    const bad: string[] = []
    const files = jsFiles(join(DIST, 'protocols'))
    expect(files.length).to.be.greaterThan(10)
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const spec = m[1]
        if (!spec.startsWith('.')) continue
        const top = relative(DIST, resolve(dirname(file), spec)).split(sep)[0]
        if (!ALLOWED.includes(top)) bad.push(`${relative(DIST, file)} -> ${spec}`)
      }
    }
    expect(bad).to.deep.equal([])
  })
})
