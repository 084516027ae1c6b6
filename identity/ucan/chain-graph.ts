/**
 * Structural pass over an invocation and its shipped proofs, done BEFORE any signature work: caps on
 * proof count and total bytes, then a breadth-first walk of the CID graph from the invocation that
 * stops at `maxDepth` links (so a 10,000-link chain costs at most `maxDepth` decodes), checking each
 * reached proof is shipped and decodes; duplicate `prf` entries and cycles are refused, then every
 * reached proof must hash to its CID; then candidate paths (leaf -> root) are enumerated, bounded.
 */
import { fail, ok, type Failure, type Result } from '../result.js'
import type { ChainCache } from './chain-cache.js'
import { cidOfJwt } from './cid.js'
import { UcanErrorCode } from './errors.js'
import { decodeDelegation, type Delegation } from './token.js'

export interface GraphLimits {
  maxDepth: number
  maxProofs: number
  maxTotalBytes: number
  maxPaths: number
  allowEd25519Alias: boolean
}

export interface ChainGraph {
  readonly invocation: Delegation
  /** Decoded (not yet signature-checked unless `verified`) tokens reached, by CID. */
  readonly tokens: ReadonlyMap<string, Delegation>
  /** CIDs whose signature a cache already vouches for. */
  readonly verified: Set<string>
}

/** Proof count and total size, checked first: O(number of proofs), no parsing. */
export function checkCaps (invocation: unknown, proofs: unknown, limits: GraphLimits): Result<Readonly<Record<string, string>>> {
  if (typeof invocation !== 'string') return fail(UcanErrorCode.MALFORMED_TOKEN, 'invocation must be a JWT string')
  if (proofs == null || typeof proofs !== 'object' || Array.isArray(proofs)) return fail(UcanErrorCode.MALFORMED_TOKEN, 'proofs must be an object of CID -> JWT')
  const keys = Object.keys(proofs)
  if (keys.length > limits.maxProofs) return fail(UcanErrorCode.TOO_MANY_PROOFS, `${keys.length} proofs shipped, limit ${limits.maxProofs}`)
  let total = invocation.length
  for (const k of keys) {
    const v = (proofs as Record<string, unknown>)[k]
    if (typeof v !== 'string') return fail(UcanErrorCode.MALFORMED_TOKEN, `proof ${k.slice(0, 64)} is not a JWT string`)
    total += v.length + k.length
    if (total > limits.maxTotalBytes) return fail(UcanErrorCode.CHAIN_TOO_LARGE, `invocation and proofs exceed ${limits.maxTotalBytes} bytes`)
  }
  return ok(proofs as Record<string, string>)
}

function loadToken (cid: string, jwt: string, limits: GraphLimits, cache: ChainCache | undefined, verified: Set<string>, what: string): Result<Delegation> {
  const cached = cache?.getLink(cid, jwt)
  if (cached !== undefined) {
    verified.add(cid)
    return ok(cached)
  }
  // the CID is checked after the cycle check (a cycle can only be shipped under false CIDs)
  const d = decodeDelegation(jwt, { cid, allowEd25519Alias: limits.allowEd25519Alias })
  if (!d.ok) return fail(d.error.code, `${what} (${cid}): ${d.error.message}`)
  return d
}

/** Decode the invocation and walk the proofs it reaches, up to maxDepth links. */
export function walkGraph (invocationJwt: string, proofs: Readonly<Record<string, string>>, limits: GraphLimits, cache: ChainCache | undefined): Result<ChainGraph> {
  const verified = new Set<string>()
  const invCid = cidOfJwt(invocationJwt)
  const inv = loadToken(invCid, invocationJwt, limits, cache, verified, 'invocation')
  if (!inv.ok) return inv
  if (inv.value.proofs.length === 0) return fail(UcanErrorCode.MISSING_PROOF, 'invocation names no proof (prf is empty)')
  const tokens = new Map<string, Delegation>()
  let layer: Delegation[] = [inv.value]
  let reachedRoot = false
  for (let depth = 1; layer.length > 0; depth++) {
    const next: Delegation[] = []
    for (const t of layer) {
      const uniq = new Set(t.proofs)
      if (uniq.size !== t.proofs.length) return fail(UcanErrorCode.DUPLICATE_PROOF, `token ${t.cid} lists the same proof twice in prf`)
      if (depth > limits.maxDepth) {
        // longer paths are not explored; they fail as CHAIN_TOO_DEEP unless a shorter one succeeds
        if (reachedRoot) continue
        return fail(UcanErrorCode.CHAIN_TOO_DEEP, `no root delegation within ${limits.maxDepth} links of the invocation (limit ${limits.maxDepth})`)
      }
      for (const cid of t.proofs) {
        if (cid === invCid || tokens.has(cid)) continue
        if (!Object.hasOwn(proofs, cid)) return fail(UcanErrorCode.MISSING_PROOF, `proof ${cid} named by ${t === inv.value ? 'the invocation' : t.cid} was not shipped`)
        const d = loadToken(cid, proofs[cid], limits, cache, verified, 'proof')
        if (!d.ok) return d
        tokens.set(cid, d.value)
        if (d.value.proofs.length === 0) reachedRoot = true
        else next.push(d.value)
      }
    }
    layer = next
  }
  const cycle = findCycle(inv.value, tokens)
  if (cycle !== undefined) return fail(UcanErrorCode.CYCLE, `proofs form a cycle: ${cycle.join(' -> ')}`)
  for (const [cid, t] of tokens) {
    if (!verified.has(cid) && cidOfJwt(t.jwt) !== cid) return fail(UcanErrorCode.CID_MISMATCH, `the JWT shipped for proof ${cid} does not hash to that CID`)
  }
  return ok({ invocation: inv.value, tokens, verified })
}

/** Iterative three-colour DFS over the reached subgraph; returns one cycle's CIDs when there is one. */
function findCycle (inv: Delegation, tokens: ReadonlyMap<string, Delegation>): string[] | undefined {
  const state = new Map<string, 1 | 2>() // 1 on stack, 2 done
  const stack: Array<{ t: Delegation, i: number }> = [{ t: inv, i: 0 }]
  state.set(inv.cid, 1)
  while (stack.length > 0) {
    const top = stack[stack.length - 1]
    if (top.i >= top.t.proofs.length) {
      state.set(top.t.cid, 2)
      stack.pop()
      continue
    }
    const cid = top.t.proofs[top.i++]
    const s = state.get(cid)
    if (s === 1) {
      const from = stack.findIndex(f => f.t.cid === cid)
      return [...stack.slice(from).map(f => f.t.cid), cid]
    }
    if (s === 2) continue
    const child = tokens.get(cid)
    if (child === undefined) continue
    state.set(cid, 1)
    stack.push({ t: child, i: 0 })
  }
  return undefined
}

/** Candidate paths, each root -> leaf, at most maxDepth long and at most maxPaths of them. */
export function enumeratePaths (graph: ChainGraph, limits: GraphLimits): Result<Delegation[][]> {
  const paths: Delegation[][] = []
  const tooDeep: Failure[] = []
  const current: Delegation[] = []
  let overflow = false
  let steps = 0
  const visit = (t: Delegation): void => {
    if (overflow) return
    for (const cid of t.proofs) {
      if (++steps > limits.maxPaths * 64) { overflow = true; return }
      const p = graph.tokens.get(cid)
      if (p === undefined) {
        if (tooDeep.length === 0) tooDeep.push({ code: UcanErrorCode.CHAIN_TOO_DEEP, message: `a path is longer than ${limits.maxDepth} links` })
        continue
      }
      current.push(p)
      if (p.proofs.length === 0) {
        if (paths.length >= limits.maxPaths) { overflow = true; return }
        paths.push([...current].reverse())
      } else if (current.length < limits.maxDepth) {
        visit(p)
      } else if (tooDeep.length === 0) {
        tooDeep.push({ code: UcanErrorCode.CHAIN_TOO_DEEP, message: `a path is longer than ${limits.maxDepth} links` })
      }
      current.pop()
    }
  }
  visit(graph.invocation)
  if (overflow) return fail(UcanErrorCode.CHAIN_TOO_COMPLEX, `more than ${limits.maxPaths} candidate paths (or too many branches) through the proofs`)
  if (paths.length === 0) return fail(UcanErrorCode.CHAIN_TOO_DEEP, tooDeep[0]?.message ?? `no root delegation within ${limits.maxDepth} links`)
  return ok(paths)
}
