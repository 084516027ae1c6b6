/**
 * RFC 6962 / RFC 9162 Merkle tree hashing and proofs. Leaf hash = SHA-256(0x00 || data), interior
 * node = SHA-256(0x01 || left || right), the empty tree hashes to SHA-256(""), and a tree of n leaves
 * splits at the largest power of two smaller than n. Verification follows RFC 9162 sections 2.1.3.2
 * and 2.1.4.2 step by step; any malformed input (wrong hash length, index out of range, proof of the
 * wrong length) simply fails, it never throws.
 *
 * Proof generation is split in two: the recursive RFC 6962 PATH/PROOF definitions produce the list
 * of leaf ranges whose subtree hashes form the proof, and a caller resolves each range to a hash
 * (from an in-memory list here, from stored subtree nodes in the audit log).
 */
import { createHash } from 'node:crypto'

export const HASH_SIZE = 32

/** A half-open range of leaf indices [start, end) whose subtree hash is part of a proof. */
export interface LeafRange { readonly start: number, readonly end: number }

export const EMPTY_ROOT: Uint8Array = new Uint8Array(createHash('sha256').digest())

export function hashLeaf (data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(Uint8Array.of(0x00)).update(data).digest())
}

export function hashChildren (left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(Uint8Array.of(0x01)).update(left).update(right).digest())
}

/** Largest power of two strictly smaller than n (n >= 2). */
export function splitPoint (n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

function isSize (n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0
}

/**
 * Root of a list of leaf hashes. Computed left to right with a compact range (the roots of the
 * perfect subtrees on the right edge), which gives the same value as the recursive MTH definition.
 */
export function rootHash (leafHashes: readonly Uint8Array[]): Uint8Array {
  const frontier: Uint8Array[] = []
  for (let i = 0; i < leafHashes.length; i++) appendToFrontier(frontier, i, leafHashes[i])
  return rootFromFrontier(frontier)
}

/**
 * Adds the leaf at `index` (the current size) to a compact range in place. Merges one subtree per
 * trailing one bit of `index`, so an append costs O(log n). Returns the subtrees it completed as
 * (level, index-at-level, hash), level 0 being the leaf itself.
 */
export function appendToFrontier (frontier: Uint8Array[], index: number, leafHash: Uint8Array): Array<{ level: number, index: number, hash: Uint8Array }> {
  const made = [{ level: 0, index, hash: leafHash }]
  let hash = leafHash
  let level = 0
  let i = index
  while ((i & 1) === 1) {
    const left = frontier.pop()
    if (left == null) throw new Error('compact range is shorter than the tree size implies')
    hash = hashChildren(left, hash)
    level++
    i = Math.floor(i / 2)
    made.push({ level, index: i, hash })
  }
  frontier.push(hash)
  return made
}

/** Root of the tree whose compact range (largest subtree first) is `frontier`. */
export function rootFromFrontier (frontier: readonly Uint8Array[]): Uint8Array {
  if (frontier.length === 0) return EMPTY_ROOT
  let hash = frontier[frontier.length - 1]
  for (let i = frontier.length - 2; i >= 0; i--) hash = hashChildren(frontier[i], hash)
  return hash
}

/** Number of perfect subtrees in the compact range of a tree of `size` leaves (its one bits). */
export function frontierLength (size: number): number {
  let count = 0
  for (let n = size; n > 0; n = Math.floor(n / 2)) count += n & 1
  return count
}

/** Leaf ranges of the RFC 6962 audit path PATH(index, D[start:end]), lowest level first. */
function pathRanges (index: number, start: number, end: number, out: LeafRange[]): void {
  const n = end - start
  if (n <= 1) return
  const k = splitPoint(n)
  if (index < k) {
    pathRanges(index, start, start + k, out)
    out.push({ start: start + k, end })
  } else {
    pathRanges(index - k, start + k, end, out)
    out.push({ start, end: start + k })
  }
}

/** Leaf ranges of the RFC 6962 SUBPROOF(m, D[start:end], b), lowest level first. */
function subproofRanges (m: number, start: number, end: number, b: boolean, out: LeafRange[]): void {
  const n = end - start
  if (m === n) {
    if (!b) out.push({ start, end })
    return
  }
  const k = splitPoint(n)
  if (m <= k) {
    subproofRanges(m, start, start + k, b, out)
    out.push({ start: start + k, end })
  } else {
    subproofRanges(m - k, start + k, end, false, out)
    out.push({ start, end: start + k })
  }
}

/** Ranges whose hashes form the inclusion proof of leaf `index` in the tree of `size` leaves. */
export function inclusionProofRanges (index: number, size: number): LeafRange[] {
  if (!isSize(size) || !Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`no inclusion proof for index ${index} in a tree of size ${size}`)
  }
  const out: LeafRange[] = []
  pathRanges(index, 0, size, out)
  return out
}

/** Ranges whose hashes form the consistency proof from size m to size n (0 <= m <= n). */
export function consistencyProofRanges (m: number, n: number): LeafRange[] {
  if (!isSize(m) || !isSize(n) || m > n) throw new RangeError(`no consistency proof from size ${m} to size ${n}`)
  const out: LeafRange[] = []
  if (m === 0 || m === n) return out
  subproofRanges(m, 0, n, true, out)
  return out
}

export function inclusionProof (leafHashes: readonly Uint8Array[], index: number, size: number = leafHashes.length): Uint8Array[] {
  if (size > leafHashes.length) throw new RangeError(`tree size ${size} exceeds the ${leafHashes.length} leaves given`)
  return inclusionProofRanges(index, size).map((r) => rootHash(leafHashes.slice(r.start, r.end)))
}

export function consistencyProof (leafHashes: readonly Uint8Array[], m: number, n: number = leafHashes.length): Uint8Array[] {
  if (n > leafHashes.length) throw new RangeError(`tree size ${n} exceeds the ${leafHashes.length} leaves given`)
  return consistencyProofRanges(m, n).map((r) => rootHash(leafHashes.slice(r.start, r.end)))
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i]
  return diff === 0
}

function allHashes (hashes: readonly Uint8Array[]): boolean {
  return hashes.every((h) => h instanceof Uint8Array && h.length === HASH_SIZE)
}

/** RFC 9162 section 2.1.3.2: verify that `leafHash` is leaf `index` of the tree of `size` with `root`. */
export function verifyInclusion (leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!isSize(size) || !Number.isSafeInteger(index) || index < 0) return false
  if (leafHash.length !== HASH_SIZE || root.length !== HASH_SIZE || !allHashes(proof)) return false
  // 1. leaf_index must be smaller than tree_size.
  if (index >= size) return false
  // 2. fn = leaf_index, sn = tree_size - 1 (numbers up to 2^53, so shifts are done by halving).
  let fn = index
  let sn = size - 1
  // 3. r = hash.
  let r = leafHash
  // 4. For each value p in the path:
  for (const p of proof) {
    // a. sn == 0 means the path is longer than the tree is tall.
    if (sn === 0) return false
    // b. LSB(fn) set, or fn == sn: p is a left sibling.
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r)
      // ii. Skip the levels where this node has no right sibling.
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2)
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      r = hashChildren(r, p)
    }
    // c. Move one level up.
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  // 5. The path must end at the root, and give the root hash.
  return sn === 0 && equalBytes(r, root)
}

/**
 * RFC 9162 section 2.1.4.2: verify that the tree of size `n` with `rootN` extends the tree of size
 * `m` with `rootM`. Two cases the RFC leaves to the caller: m == n holds only with an empty proof and
 * equal roots; m == 0 holds only with an empty proof and `rootM` the empty-tree hash.
 */
export function verifyConsistency (m: number, n: number, rootM: Uint8Array, rootN: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!isSize(m) || !isSize(n) || m > n) return false
  if (rootM.length !== HASH_SIZE || rootN.length !== HASH_SIZE || !allHashes(proof)) return false
  if (m === n) return proof.length === 0 && equalBytes(rootM, rootN)
  if (m === 0) return proof.length === 0 && equalBytes(rootM, EMPTY_ROOT)
  // 1. An empty path proves nothing.
  if (proof.length === 0) return false
  // 2. If first is an exact power of two, its root is the first node of the path.
  const path = isPowerOfTwo(m) ? [rootM, ...proof] : [...proof]
  // 3. fn = first - 1, sn = second - 1.
  let fn = m - 1
  let sn = n - 1
  // 4. Skip the levels where the first tree's last leaf is a right child.
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  // 5. fr = sr = first value of the path.
  let fr = path[0]
  let sr = path[0]
  // 6. For each subsequent value c:
  for (let i = 1; i < path.length; i++) {
    const c = path[i]
    // a.
    if (sn === 0) return false
    // b.
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr)
      sr = hashChildren(c, sr)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2)
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      sr = hashChildren(sr, c)
    }
    // c.
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  // 7. Both roots must match and the path must have reached the top.
  return sn === 0 && equalBytes(fr, rootM) && equalBytes(sr, rootN)
}

export function isPowerOfTwo (n: number): boolean {
  return n > 0 && splitPoint(n + 1) === n
}
