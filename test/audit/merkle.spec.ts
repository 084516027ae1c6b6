/**
 * RFC 6962 known answers (the reference vectors used by certificate-transparency-go and
 * transparency-dev/merkle) and exhaustive proof checks in the style of transparency-dev's
 * proof/verify_test.go: every valid proof verifies, every corruption of it fails.
 */
import { expect } from 'chai'
import {
  EMPTY_ROOT, consistencyProof, hashChildren, hashLeaf, inclusionProof, rootHash, verifyConsistency, verifyInclusion
} from '../../audit/merkle.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const dh = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))

const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(dh)
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'
]
// transparency-dev/merkle proof/verify_test.go: leaf numbers there are 1-based.
const INCLUSION = [
  { index: 0, size: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, proof: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 5, proof: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] }
]
const CONSISTENCY = [
  { m: 1, n: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { m: 6, n: 8, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { m: 2, n: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
  { m: 6, n: 7, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] }
]

const SOME_HASH = dh('abacaba000000000000000000000000000000000000000000060061e00123456')

function flipped (proof: Uint8Array[], i: number, byte: number, bit: number): Uint8Array[] {
  const copy = proof.map((h) => Uint8Array.from(h))
  copy[i][byte] ^= 1 << bit
  return copy
}

/** Every corruption transparency-dev tries, plus every single bit flip and swaps. */
function corruptInclusion (index: number, size: number, proof: Uint8Array[], root: Uint8Array, leaf: Uint8Array): Array<[string, () => boolean]> {
  const v = (l: Uint8Array, i: number, s: number, p: Uint8Array[], r: Uint8Array) => () => verifyInclusion(l, i, s, p, r)
  const probes: Array<[string, () => boolean]> = [
    ['index - 1', v(leaf, index - 1, size, proof, root)],
    ['index + 1', v(leaf, index + 1, size, proof, root)],
    ['index ^ 2', v(leaf, index ^ 2, size, proof, root)],
    ['size * 2', v(leaf, index, size * 2, proof, root)],
    ['size / 2', v(leaf, index, Math.floor(size / 2), proof, root)],
    ['wrong leaf', v(hashLeaf(Uint8Array.of(1, 2, 3)), index, size, proof, root)],
    ['empty root', v(leaf, index, size, proof, EMPTY_ROOT)],
    ['random root', v(leaf, index, size, proof, SOME_HASH)],
    ['trailing garbage', v(leaf, index, size, [...proof, new Uint8Array(0)], root)],
    ['trailing root', v(leaf, index, size, [...proof, root], root)],
    ['preceding garbage', v(leaf, index, size, [new Uint8Array(0), ...proof], root)],
    ['preceding root', v(leaf, index, size, [root, ...proof], root)]
  ]
  if (proof.length > 0) probes.push(['removed component', v(leaf, index, size, proof.slice(0, -1), root)])
  if (proof.length > 1) {
    probes.push(['inserted component', v(leaf, index, size, [proof[0], SOME_HASH, ...proof.slice(1)], root)])
    probes.push(['swapped first two', v(leaf, index, size, [proof[1], proof[0], ...proof.slice(2)], root)])
  }
  for (let i = 0; i < proof.length; i++) {
    for (let byte = 0; byte < 32; byte += 31) {
      for (let bit = 0; bit < 8; bit++) probes.push([`proof[${i}] byte ${byte} bit ${bit}`, v(leaf, index, size, flipped(proof, i, byte, bit), root)])
    }
  }
  for (let bit = 0; bit < 8; bit++) probes.push([`root bit ${bit}`, v(leaf, index, size, proof, flipped([root], 0, 5, bit)[0])])
  return probes
}

function corruptConsistency (m: number, n: number, rootM: Uint8Array, rootN: Uint8Array, proof: Uint8Array[]): Array<[string, () => boolean]> {
  const v = (a: number, b: number, ra: Uint8Array, rb: Uint8Array, p: Uint8Array[]) => () => verifyConsistency(a, b, ra, rb, p)
  const probes: Array<[string, () => boolean]> = [
    ['m - 1', v(m - 1, n, rootM, rootN, proof)],
    ['m + 1', v(m + 1, n, rootM, rootN, proof)],
    ['m ^ 2', v(m ^ 2, n, rootM, rootN, proof)],
    ['n * 2', v(m, n * 2, rootM, rootN, proof)],
    ['n / 2', v(m, Math.floor(n / 2), rootM, rootN, proof)],
    ['wrong rootM', v(m, n, SOME_HASH, rootN, proof)],
    ['wrong rootN', v(m, n, rootM, SOME_HASH, proof)],
    ['swapped roots', v(m, n, rootN, rootM, proof)],
    ['empty proof', v(m, n, rootM, rootN, [])],
    ['trailing garbage', v(m, n, rootM, rootN, [...proof, new Uint8Array(0)])],
    ['trailing rootM', v(m, n, rootM, rootN, [...proof, rootM])],
    ['trailing rootN', v(m, n, rootM, rootN, [...proof, rootN])],
    ['preceding garbage', v(m, n, rootM, rootN, [new Uint8Array(0), ...proof])],
    ['preceding rootM', v(m, n, rootM, rootN, [rootM, ...proof])],
    ['preceding rootN', v(m, n, rootM, rootN, [rootN, ...proof])],
    ['preceding proof[0]', v(m, n, rootM, rootN, [proof[0], ...proof])],
    ['truncated', v(m, n, rootM, rootN, proof.slice(0, -1))]
  ]
  if (proof.length > 1) probes.push(['swapped first two', v(m, n, rootM, rootN, [proof[1], proof[0], ...proof.slice(2)])])
  for (let i = 0; i < proof.length; i++) {
    for (let byte = 0; byte < 32; byte += 31) {
      for (let bit = 0; bit < 8; bit++) probes.push([`proof[${i}] byte ${byte} bit ${bit}`, v(m, n, rootM, rootN, flipped(proof, i, byte, bit))])
    }
  }
  for (let bit = 0; bit < 8; bit++) {
    probes.push([`rootM bit ${bit}`, v(m, n, flipped([rootM], 0, 9, bit)[0], rootN, proof)])
    probes.push([`rootN bit ${bit}`, v(m, n, rootM, flipped([rootN], 0, 9, bit)[0], proof)])
  }
  return probes
}

function accepted (probes: Array<[string, () => boolean]>): string[] {
  return probes.filter(([, f]) => f()).map(([d]) => d)
}

describe('audit/merkle (RFC 6962)', () => {
  const leafHashes = LEAVES.map(hashLeaf)
  const many = Array.from({ length: 40 }, (_, i) => hashLeaf(new TextEncoder().encode(`leaf ${i}`)))

  it('hashes the empty tree to SHA-256 of the empty string', () => {
    expect(hex(rootHash([]))).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  it('matches the reference root for every size 1..8', () => {
    for (let n = 1; n <= 8; n++) expect(hex(rootHash(leafHashes.slice(0, n))), `size ${n}`).to.equal(ROOTS[n - 1])
  })

  it('uses 0x00 for leaves and 0x01 for interior nodes', () => {
    expect(hex(hashLeaf(new Uint8Array(0)))).to.equal(ROOTS[0])
    expect(hex(hashChildren(leafHashes[0], leafHashes[1]))).to.equal(ROOTS[1])
  })

  it('produces and verifies the reference inclusion proofs', () => {
    for (const t of INCLUSION) {
      const root = dh(ROOTS[t.size - 1])
      expect(inclusionProof(leafHashes, t.index, t.size).map(hex)).to.deep.equal(t.proof)
      expect(verifyInclusion(leafHashes[t.index], t.index, t.size, t.proof.map(dh), root)).to.equal(true)
      expect(accepted(corruptInclusion(t.index, t.size, t.proof.map(dh), root, leafHashes[t.index]))).to.deep.equal([])
    }
  })

  it('produces and verifies the reference consistency proofs', () => {
    for (const t of CONSISTENCY) {
      const rootM = dh(ROOTS[t.m - 1])
      const rootN = dh(ROOTS[t.n - 1])
      expect(consistencyProof(leafHashes, t.m, t.n).map(hex)).to.deep.equal(t.proof)
      expect(verifyConsistency(t.m, t.n, rootM, rootN, t.proof.map(dh))).to.equal(true)
      expect(accepted(corruptConsistency(t.m, t.n, rootM, rootN, t.proof.map(dh)))).to.deep.equal([])
    }
  })

  it('rejects every single bit flip of every proof hash and root of the reference proofs', () => {
    let probes = 0
    for (const t of INCLUSION) {
      const proof = t.proof.map(dh)
      const root = dh(ROOTS[t.size - 1])
      for (let i = 0; i <= proof.length; i++) {
        for (let bit = 0; bit < 256; bit++) {
          const p = i < proof.length ? flipped(proof, i, bit >> 3, bit & 7) : proof
          const r = i < proof.length ? root : flipped([root], 0, bit >> 3, bit & 7)[0]
          expect(verifyInclusion(leafHashes[t.index], t.index, t.size, p, r), `${t.index}/${t.size} hash ${i} bit ${bit}`).to.equal(false)
          probes++
        }
      }
    }
    for (const t of CONSISTENCY) {
      const proof = t.proof.map(dh)
      const roots = [dh(ROOTS[t.m - 1]), dh(ROOTS[t.n - 1])]
      for (let i = 0; i < proof.length + 2; i++) {
        for (let bit = 0; bit < 256; bit++) {
          const p = i < proof.length ? flipped(proof, i, bit >> 3, bit & 7) : proof
          const rs = i < proof.length ? roots : roots.map((r, j) => j === i - proof.length ? flipped([r], 0, bit >> 3, bit & 7)[0] : r)
          expect(verifyConsistency(t.m, t.n, rs[0], rs[1], p), `${t.m}->${t.n} hash ${i} bit ${bit}`).to.equal(false)
          probes++
        }
      }
    }
    expect(probes).to.be.greaterThan(5000)
  })

  it('verifies every inclusion proof up to 40 leaves, and no corruption of any of them', () => {
    for (let size = 1; size <= many.length; size++) {
      const root = rootHash(many.slice(0, size))
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(many, index, size)
        expect(verifyInclusion(many[index], index, size, proof, root), `${index}/${size}`).to.equal(true)
        const bad = accepted(corruptInclusion(index, size, proof, root, many[index]))
        expect(bad, `${index}/${size}`).to.deep.equal([])
      }
    }
  })

  it('verifies every consistency proof up to 40 leaves, and no corruption of any of them', () => {
    for (let n = 1; n <= many.length; n++) {
      const rootN = rootHash(many.slice(0, n))
      for (let m = 1; m <= n; m++) {
        const rootM = rootHash(many.slice(0, m))
        const proof = consistencyProof(many, m, n)
        expect(verifyConsistency(m, n, rootM, rootN, proof), `${m}->${n}`).to.equal(true)
        if (m === n) {
          expect(proof).to.have.length(0)
          expect(verifyConsistency(m, n, rootM, rootN, [rootM]), `${m}=${n} with a hash`).to.equal(false)
          expect(verifyConsistency(m, n, rootM, SOME_HASH, []), `${m}=${n} other root`).to.equal(false)
          continue
        }
        expect(accepted(corruptConsistency(m, n, rootM, rootN, proof)), `${m}->${n}`).to.deep.equal([])
      }
    }
  })

  it('refuses out-of-range arguments without throwing', () => {
    const root = rootHash(many.slice(0, 4))
    expect(verifyInclusion(many[0], 0, 0, [], EMPTY_ROOT)).to.equal(false)
    expect(verifyInclusion(many[0], -1, 4, inclusionProof(many, 0, 4), root)).to.equal(false)
    expect(verifyInclusion(many[0], 0.5, 4, inclusionProof(many, 0, 4), root)).to.equal(false)
    expect(verifyInclusion(many[0], 4, 4, [], root)).to.equal(false)
    expect(verifyConsistency(4, 2, root, root, [])).to.equal(false)
    expect(verifyConsistency(0, 4, EMPTY_ROOT, root, [])).to.equal(true)
    expect(verifyConsistency(0, 4, SOME_HASH, root, [])).to.equal(false)
    expect(verifyConsistency(0, 4, EMPTY_ROOT, root, [root])).to.equal(false)
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).to.equal(true)
    expect(() => inclusionProof(many, 5, 5)).to.throw(RangeError)
    expect(() => consistencyProof(many, 5, 4)).to.throw(RangeError)
  })
})
