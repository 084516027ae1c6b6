/**
 * Control API routes for the org's identity keys: rotate the org key (`identity rotate`) and list the
 * successor records that lead to the current org DID (`identity export`); rotate the node key
 * (`identity rotate --node-key`, effective at the next start).
 */
import type { ControlServer } from '../control-server.js'
import { ControlRouteError } from '../errors.js'
import type { RotateTokenOptions } from '../../keys/rotate-org-key.js'
import type { RotationOutcome } from '../../services/credentials/org-key-rotation.js'
import type { NodeKeyRotation } from '../../keys/rotate-node-key.js'

export interface IdentityRouteParts {
  rotate: (options: { pkcs11?: RotateTokenOptions, file?: boolean }) => Promise<RotationOutcome>
  successors: () => string[]
  rotateNodeKey: (options: { pkcs11?: RotateTokenOptions, file?: boolean }) => Promise<NodeKeyRotation>
}

/** Where the new key goes: `{ pkcs11: { module, token, pinFile, label? } }` or `{ file: true }` (default: where the current key is). */
function keyPlaceOf (body: unknown): { pkcs11?: RotateTokenOptions, file: boolean } {
  const b = (body ?? {}) as Record<string, unknown>
  let pkcs11: RotateTokenOptions | undefined
  if (b.pkcs11 != null) {
    const p = b.pkcs11 as Record<string, unknown>
    if (typeof p.module !== 'string' || typeof p.token !== 'string' || typeof p.pinFile !== 'string') throw new ControlRouteError('BAD_REQUEST', 'pkcs11 needs module, token and pinFile', 400)
    pkcs11 = { module: p.module, token: p.token, pinFile: p.pinFile, ...(typeof p.label === 'string' ? { label: p.label } : {}) }
  }
  if (pkcs11 != null && b.file === true) throw new ControlRouteError('BAD_REQUEST', 'pkcs11 and file exclude each other', 400)
  return { ...(pkcs11 != null ? { pkcs11 } : {}), file: b.file === true }
}

export function identityRoutes (control: ControlServer, parts: IdentityRouteParts): void {
  control.route('POST', '/v1/identity/rotate', async (req) => {
    const place = keyPlaceOf(req.body)
    try {
      return await parts.rotate(place)
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (typeof code === 'string') throw new ControlRouteError(code, (err as Error).message, 409)
      throw err
    }
  })

  control.route('POST', '/v1/identity/rotate-node-key', async (req) => {
    const place = keyPlaceOf(req.body)
    try {
      return await parts.rotateNodeKey(place)
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (typeof code === 'string') throw new ControlRouteError(code, (err as Error).message, 409)
      throw err
    }
  })

  control.route('GET', '/v1/identity/successors', async () => ({ successors: parts.successors() }))
}
