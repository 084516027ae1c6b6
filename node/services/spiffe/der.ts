/**
 * A minimal strict DER reader: just enough to split concatenated certificates (the Workload API sends
 * chains and bundles as DER back to back) and to read the few certificate fields SVID validation
 * needs. Definite lengths only, minimal length encoding, nothing read past its parent.
 */
export class DerError extends Error {
  override name = 'DerError'
  readonly code = 'DER_MALFORMED'
}

export interface Tlv {
  readonly tag: number
  /** Offset of the tag byte. */
  readonly offset: number
  /** Offset of the first content byte. */
  readonly start: number
  /** Offset just past the content. */
  readonly end: number
}

/** Read one TLV at `offset`, bounded by `limit` (default: end of buffer). Throws DerError. */
export function readTlv (buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated DER header at ${offset}`)
  const tag = buf[offset]
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte DER tags are not supported (at ${offset})`)
  const first = buf[offset + 1]
  let length: number
  let start: number
  if (first < 0x80) {
    length = first
    start = offset + 2
  } else {
    const n = first & 0x7f
    if (n === 0) throw new DerError(`indefinite length is not DER (at ${offset})`)
    if (n > 4) throw new DerError(`length of ${n} bytes is too large (at ${offset})`)
    if (offset + 2 + n > limit) throw new DerError(`truncated DER length at ${offset}`)
    length = 0
    for (let i = 0; i < n; i++) length = length * 256 + buf[offset + 2 + i]
    if (buf[offset + 2] === 0 || length < 0x80) throw new DerError(`non-minimal DER length at ${offset}`)
    start = offset + 2 + n
  }
  const end = start + length
  if (end > limit) throw new DerError(`DER value at ${offset} runs past its container`)
  return { tag, offset, start, end }
}

/** The TLVs directly inside a constructed value. */
export function children (buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = []
  let pos = parent.start
  while (pos < parent.end) {
    const tlv = readTlv(buf, pos, parent.end)
    out.push(tlv)
    pos = tlv.end
  }
  return out
}

/** Bytes of a whole TLV (header included). */
export function tlvBytes (buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.offset, tlv.end)
}

/** Content bytes of a TLV. */
export function tlvContent (buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.start, tlv.end)
}

/**
 * Split DER SEQUENCEs written back to back (ASN.1 "concatenated DER"). Throws DerError on any
 * trailing garbage or non-SEQUENCE element. Each returned array is a copy.
 */
export function splitDerSequences (bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let pos = 0
  while (pos < bytes.length) {
    const tlv = readTlv(bytes, pos)
    if (tlv.tag !== 0x30) throw new DerError(`expected a SEQUENCE at ${pos}, found tag 0x${tlv.tag.toString(16)}`)
    out.push(Uint8Array.from(tlvBytes(bytes, tlv)))
    pos = tlv.end
  }
  return out
}
