/** Shared formatting of the trust commands. */
export interface OpinionView {
  witness: string
  witnessName?: string
  kind: string
  score: number
  weight: number
  moved: number
  evidence: { ok: number, error: number, denied: number, timeout: number }
  exp?: number
}

/** A DID or CID shortened for tables (`did:key:z6Mk...abcd`). */
export function short (id: string): string {
  return id.length > 28 ? `${id.slice(0, 16)}...${id.slice(-6)}` : id
}
