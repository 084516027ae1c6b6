// inclusive CPU time of functions whose name@file matches argv[3]
import { readFileSync } from 'node:fs'
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const re = new RegExp(process.argv[3])
const byId = new Map(p.nodes.map(n => [n.id, n])); const parent = new Map()
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const dt = new Map()
for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0))
const name = (n) => `${n.callFrame.functionName || '(anon)'}@${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*dist\//, '')}:${n.callFrame.lineNumber}`
const incl = new Map()
for (const [id, t] of dt) {
  const seen = new Set(); let cur = id
  while (cur != null) { const nm = name(byId.get(cur)); if (re.test(nm) && !seen.has(nm)) { seen.add(nm); incl.set(nm, (incl.get(nm) ?? 0) + t) } cur = parent.get(cur) }
}
for (const [k, t] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(t/1000).toFixed(0).padStart(6)} ms  ${k}`)
