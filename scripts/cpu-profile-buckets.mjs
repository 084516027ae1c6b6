import { readFileSync } from 'node:fs'
const p = JSON.parse(readFileSync(process.argv[2], 'utf8')); const tasks = Number(process.argv[3] ?? 1)
const byId = new Map(p.nodes.map(n => [n.id, n]))
const dt = new Map()
for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0))
const b = new Map()
for (const [id, t] of dt) {
  const cf = byId.get(id).callFrame; const u = cf.url
  let k
  if (cf.functionName === '(idle)') k = 'idle'
  else if (cf.functionName === '(garbage collector)') k = 'gc'
  else if (/node_modules\/(classic-level|abstract-level|level|datastore-level)/.test(u)) k = 'leveldb'
  else if (/node_modules\/(libp2p|@libp2p|@chainsafe|@multiformats|uint8arraylist|it-|protons|main-event|race-signal|weald|mortice|p-|multiformats|uint8arrays|abort-error|progress-events|any-signal)/.test(u)) k = 'libp2p stack'
  else if (/node_modules/.test(u)) k = 'other deps'
  else if (/dist\/node\/api|_http|node:http|node:net/.test(u)) k = 'control API (http)'
  else if (/dist\//.test(u)) k = 'trustmesh code'
  else if (/^node:/.test(u)) k = 'node internals'
  else if (/crypto|sig/.test(cf.functionName)) k = 'node internals'
  else k = 'native/syscalls (' + (cf.functionName || '?') + ')'
  b.set(k, (b.get(k) ?? 0) + t)
}
const busy = [...b].filter(([k]) => k !== 'idle').reduce((a, [, t]) => a + t, 0)
console.log(`busy ${(busy / 1e3).toFixed(0)} ms = ${(busy / 1e3 / tasks).toFixed(2)} ms/task over ${tasks} tasks`)
for (const [k, t] of [...b].sort((x, y) => y[1] - x[1]).slice(0, 14)) console.log(`${(t / 1e3 / tasks).toFixed(2).padStart(7)} ms/task  ${(100 * t / busy).toFixed(0).padStart(3)}% of busy  ${k}`)
