/**
 * Named approvers (DESIGN.md section 6): people who decide parked tasks, each a DID whose key they
 * hold themselves (the node never has it), with an optional role that policy rules can require
 * (`approvals: { count: 2, role: payments-approver }`). Only an approval signed by an approver in this
 * book counts; the org key is not an approver unless the operator adds it.
 */
import { isDidKey } from '../../../identity/did-key.js'
import { APPROVER_NAME } from '../../../authz/index.js'
import type { Repository } from '../../store/repository.js'

export interface Approver {
  name: string
  did: string
  role?: string
  addedAt: number
}

export class ApproverError extends Error {
  override readonly name = 'ApproverError'
  constructor (readonly code: 'INVALID_APPROVER' | 'APPROVER_EXISTS' | 'UNKNOWN_APPROVER', message: string) {
    super(message)
  }
}

export class ApproverBook {
  readonly #repo: Repository<Approver>
  readonly #byName = new Map<string, Approver>()

  constructor (repo: Repository<Approver>) {
    this.#repo = repo
  }

  async load (): Promise<void> {
    for (const [name, a] of await this.#repo.list()) this.#byName.set(name, a)
  }

  async add (a: { name: string, did: string, role?: string }, now: number): Promise<Approver> {
    if (typeof a.name !== 'string' || !APPROVER_NAME.test(a.name)) throw new ApproverError('INVALID_APPROVER', 'name must match [A-Za-z0-9][A-Za-z0-9_.-]* (at most 64 characters)')
    if (!isDidKey(a.did)) throw new ApproverError('INVALID_APPROVER', `${String(a.did)} is not a did:key`)
    if (a.role != null && (typeof a.role !== 'string' || !APPROVER_NAME.test(a.role))) throw new ApproverError('INVALID_APPROVER', 'role must match [A-Za-z0-9][A-Za-z0-9_.-]* (at most 64 characters)')
    if (this.#byName.has(a.name)) throw new ApproverError('APPROVER_EXISTS', `approver ${a.name} exists (remove it first)`)
    const other = this.byDid(a.did)
    if (other != null) throw new ApproverError('APPROVER_EXISTS', `${a.did} is already approver ${other.name}`)
    const rec: Approver = { name: a.name, did: a.did, ...(a.role != null ? { role: a.role } : {}), addedAt: now }
    await this.#repo.put(rec.name, rec, { sync: true })
    this.#byName.set(rec.name, rec)
    return rec
  }

  async remove (name: string): Promise<Approver> {
    const a = this.#byName.get(name) ?? this.byDid(name)
    if (a == null) throw new ApproverError('UNKNOWN_APPROVER', `no approver ${name}`)
    await this.#repo.del(a.name, { sync: true })
    this.#byName.delete(a.name)
    return a
  }

  list (): Approver[] {
    return [...this.#byName.values()].sort((x, y) => x.name.localeCompare(y.name))
  }

  byDid (did: string): Approver | undefined {
    for (const a of this.#byName.values()) if (a.did === did) return a
    return undefined
  }

  dids (): string[] {
    return [...this.#byName.values()].map(a => a.did)
  }
}
