/**
 * The import-graph check: dependencies point one way and never form a cycle (STYLE.md "The house, in
 * one picture"; DESIGN.md section 1). It reads the source `.ts` files of the layered folders, collects
 * every relative import and re-export (type-only and dynamic imports count too) and reports
 *   - `cycle`: a strongly connected set of files, with one concrete cycle through it as the example;
 *   - `upward`: an import from a folder to one it may not depend on.
 * Layers, lowest first: identity < {authz, trust, audit, sagas} (the pure cores; they may import each other)
 * < protocols < node < cli. client/ may import identity, the cores and protocols, never node/ or cli/;
 * node/ may not import client/. cli/ may import anything.
 *
 * Run it with `node dist/scripts/check-imports.js [root]`: prints the violations, exit 1 if any.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, posix, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/** The layered top-level folders, in the order they are scanned. */
export const LAYERED_FOLDERS = ['identity', 'authz', 'trust', 'audit', 'sagas', 'protocols', 'client', 'node', 'cli'] as const
export type LayeredFolder = typeof LAYERED_FOLDERS[number]

const CORES: readonly LayeredFolder[] = ['identity', 'authz', 'trust', 'audit', 'sagas']

/** What each folder may import (besides files outside the layered folders, which are not checked). */
export const ALLOWED_IMPORTS: Readonly<Record<LayeredFolder, readonly LayeredFolder[]>> = {
  identity: ['identity'],
  authz: CORES,
  trust: CORES,
  audit: CORES,
  sagas: CORES,
  protocols: [...CORES, 'protocols'],
  client: [...CORES, 'protocols', 'client'],
  node: [...CORES, 'protocols', 'node'],
  cli: LAYERED_FOLDERS
}

/**
 * Inside `node/`: services decide and never speak HTTP, so nothing under `node/services/` imports
 * `node/api/` (the API layer maps their result codes to statuses).
 */
export const FORBIDDEN_WITHIN: ReadonlyArray<{ from: string, to: string }> = [{ from: 'node/services/', to: 'node/api/' }]

/** One relative import from one source file to another, paths relative to the root with `/`. */
export interface ImportEdge {
  readonly from: string
  readonly to: string
  readonly specifier: string
}

export type ImportViolation =
  | { readonly kind: 'cycle', readonly files: readonly string[], readonly example: readonly string[], readonly message: string }
  | { readonly kind: 'upward', readonly from: string, readonly to: string, readonly message: string }

/** Read every `.ts` source file (not `.d.ts`) of the layered folders under `root`, keyed by relative path. */
export function readSources (root: string, folders: readonly string[] = LAYERED_FOLDERS): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue
      const full = join(dir, name)
      if (statSync(full).isDirectory()) walk(full)
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
        out.set(relative(root, full).split(sep).join('/'), readFileSync(full, 'utf8'))
      }
    }
  }
  for (const folder of folders) {
    const dir = join(root, folder)
    try {
      if (statSync(dir).isDirectory()) walk(dir)
    } catch {
      // a folder the project does not have is nothing to check
    }
  }
  return out
}

/** The relative imports of every file, resolved to files of `sources` (`x.js` -> `x.ts`, dir -> `dir/index.ts`). */
export function importEdges (sources: ReadonlyMap<string, string>): ImportEdge[] {
  const edges: ImportEdge[] = []
  for (const [from, text] of sources) {
    const info = ts.preProcessFile(text, true, true)
    for (const ref of info.importedFiles) {
      const specifier = ref.fileName
      if (!specifier.startsWith('.')) continue
      const target = resolveSpecifier(sources, from, specifier)
      if (target !== undefined) edges.push({ from, to: target, specifier })
    }
  }
  return edges
}

function resolveSpecifier (sources: ReadonlyMap<string, string>, from: string, specifier: string): string | undefined {
  const base = posix.normalize(posix.join(posix.dirname(from), specifier))
  const stem = base.replace(/\.(js|ts|mjs|mts)$/, '')
  for (const candidate of [`${stem}.ts`, `${stem}.mts`, `${base}/index.ts`, `${stem}/index.ts`]) {
    if (sources.has(candidate)) return candidate
  }
  return undefined
}

function folderOf (file: string): LayeredFolder | undefined {
  const top = file.split('/')[0]
  return (LAYERED_FOLDERS as readonly string[]).includes(top ?? '') ? top as LayeredFolder : undefined
}

/** Every cycle (as strongly connected components of more than one file, or a file importing itself). */
export function findCycles (edges: readonly ImportEdge[]): Array<{ files: string[], example: string[] }> {
  const graph = new Map<string, string[]>()
  for (const e of edges) {
    if (!graph.has(e.from)) graph.set(e.from, [])
    if (!graph.has(e.to)) graph.set(e.to, [])
    graph.get(e.from)?.push(e.to)
  }
  for (const targets of graph.values()) targets.sort()
  // Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const components: string[][] = []
  for (const start of [...graph.keys()].sort()) {
    if (index.has(start)) continue
    const work: Array<{ node: string, next: number }> = [{ node: start, next: 0 }]
    index.set(start, counter); low.set(start, counter); counter++
    stack.push(start); onStack.add(start)
    while (work.length > 0) {
      const frame = work[work.length - 1]!
      const targets = graph.get(frame.node) ?? []
      if (frame.next < targets.length) {
        const to = targets[frame.next++]!
        if (!index.has(to)) {
          index.set(to, counter); low.set(to, counter); counter++
          stack.push(to); onStack.add(to)
          work.push({ node: to, next: 0 })
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!))
        }
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!))
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = []
        let member: string | undefined
        do {
          member = stack.pop()!
          onStack.delete(member)
          component.push(member)
        } while (member !== frame.node)
        const selfLoop = component.length === 1 && targets.includes(frame.node)
        if (component.length > 1 || selfLoop) components.push(component.sort())
      }
    }
  }
  return components
    .map((files) => ({ files, example: exampleCycle(graph, files) }))
    .sort((a, b) => a.files[0]!.localeCompare(b.files[0]!))
}

/** A shortest cycle through the first file of a component, staying inside the component. */
function exampleCycle (graph: ReadonlyMap<string, readonly string[]>, files: readonly string[]): string[] {
  const inside = new Set(files)
  const start = files[0]!
  const previous = new Map<string, string>()
  const queue = [start]
  while (queue.length > 0) {
    const node = queue.shift()!
    for (const to of graph.get(node) ?? []) {
      if (!inside.has(to)) continue
      if (to === start) {
        const path = [start]
        for (let at = node; at !== start; at = previous.get(at)!) path.splice(1, 0, at)
        return [...path, start]
      }
      if (!previous.has(to)) { previous.set(to, node); queue.push(to) }
    }
  }
  return [start, start]
}

/** The violations among `sources` (relative path -> text): cycles first, then upward imports. */
export function checkImportGraph (sources: ReadonlyMap<string, string>): ImportViolation[] {
  const edges = importEdges(sources)
  const violations: ImportViolation[] = []
  for (const { files, example } of findCycles(edges)) {
    violations.push({ kind: 'cycle', files, example, message: `import cycle: ${example.join(' -> ')}` + (files.length > example.length - 1 ? ` (${files.length} files in the cycle group)` : '') })
  }
  const seen = new Set<string>()
  for (const e of edges) {
    const a = folderOf(e.from)
    const b = folderOf(e.to)
    const within = FORBIDDEN_WITHIN.find(f => e.from.startsWith(f.from) && e.to.startsWith(f.to))
    if (within == null && (a === undefined || b === undefined || ALLOWED_IMPORTS[a].includes(b))) continue
    const key = `${e.from} ${e.to}`
    if (seen.has(key)) continue
    seen.add(key)
    const message = within != null ? `upward import: ${e.from} (${within.from}) imports ${e.to} (${within.to})` : `upward import: ${e.from} (${String(a)}/) imports ${e.to} (${String(b)}/)`
    violations.push({ kind: 'upward', from: e.from, to: e.to, message })
  }
  return violations
}

/** Read the sources under `root` and check them. */
export function checkImports (root: string): ImportViolation[] {
  return checkImportGraph(readSources(root))
}

function main (): void {
  const here = dirname(fileURLToPath(import.meta.url))
  const root = resolve(process.argv[2] ?? join(here, '..', '..'))
  const violations = checkImports(root)
  for (const v of violations) process.stdout.write(`${v.message}\n`)
  process.stdout.write(`${violations.length} violation(s)\n`)
  process.exitCode = violations.length > 0 ? 1 : 0
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
