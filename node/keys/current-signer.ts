/**
 * The org signer the running node hands to its services: it delegates to the current org key and
 * switches to the successor key at rotation, so every service signs with the new key from then on
 * without being rebuilt. The retired key's session (a token's) is closed when it is replaced.
 */
import type { Signer } from '../../identity/signer.js'
import type { HeldSigner, KeyLocation } from './key-location.js'

export class CurrentSigner implements Signer {
  readonly algorithm = 'EdDSA' as const
  #held: HeldSigner

  constructor (held: HeldSigner) {
    this.#held = held
  }

  get did (): string { return this.#held.signer.did }
  get publicKey (): Uint8Array { return this.#held.signer.publicKey }
  get location (): KeyLocation { return this.#held.location }
  /** The key in use now (rotation signs the successor record with it). */
  get current (): Signer { return this.#held.signer }

  async sign (data: Uint8Array): Promise<Uint8Array> {
    return await this.#held.signer.sign(data)
  }

  /** Use `next` from now on; the previous key is closed. */
  async replace (next: HeldSigner): Promise<void> {
    const prev = this.#held
    this.#held = next
    await prev.close()
  }

  async close (): Promise<void> {
    await this.#held.close()
  }

  toJSON (): { did: string } {
    return { did: this.did }
  }
}
