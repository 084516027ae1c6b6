/**
 * The did-jwt verification path for credentials: did-jwt `verifyJWT` with the key-only resolver does
 * issuer resolution, the signature and the time window; the strict decode before it (canonical
 * base64url, EdDSA only, size caps), the strict RFC 8032 signature check (did-jwt alone follows
 * ZIP-215) and the claim checks after it are shared with the native path, so both paths accept and
 * reject exactly the same tokens.
 * Slower than the native path; used for cross-checking and as an independent second opinion.
 */
import type { JWTVerifyOptions } from 'did-jwt'
import type { Resolvable } from 'did-resolver'
import { nowSeconds } from './clock.js'
import { parseDidKey } from './did-key.js'
import { decodeJwt, verifyJwtSignature } from './jwt.js'
import { fail, type Result } from './result.js'
import { createKeyResolver } from './resolver.js'
import { checkCredentialClaims, checkTimeClaimShapes, resolveSkew } from './credential-claims.js'
import { CredentialErrorCode as C, type VerifiedCredential, type VerifyCredentialOptions } from './credential-types.js'

let defaultResolver: Resolvable | undefined
/** did-jwt bundles its own did-resolver 4 typings; the shapes we produce satisfy both. */
type DidJwtResolvable = NonNullable<JWTVerifyOptions['resolver']>

/** Map a did-jwt error message (its `code: text` convention) to our reason codes. */
function classify (message: string): string {
  if (message.startsWith('invalid_signature')) return C.BAD_SIGNATURE
  if (message.includes('JWT not valid before nbf')) return C.NOT_YET_VALID
  if (message.includes('issued in the future')) return C.ISSUED_IN_FUTURE
  if (message.includes('JWT has expired')) return C.EXPIRED
  if (message.startsWith('not_supported')) return C.UNSUPPORTED_ALG
  return C.VERIFICATION_FAILED
}

export async function verifyCredentialDidJwt (jwt: unknown, options: VerifyCredentialOptions & { resolver?: Resolvable }): Promise<Result<VerifiedCredential>> {
  const skew = resolveSkew(options)
  const decoded = decodeJwt(jwt, { allowEd25519Alias: options.allowEd25519Alias === true })
  if (!decoded.ok) return decoded
  const token = decoded.value.token
  const shapes = checkTimeClaimShapes(decoded.value.payload)
  if (!shapes.ok) return shapes
  const now = nowSeconds(options.clock)
  const resolver = options.resolver ?? (defaultResolver ??= createKeyResolver())
  // did-jwt's noble verifies with ZIP-215 rules (non-canonical R, cofactored equation); our profile is
  // strict RFC 8032, so the native check runs too and a signature it refuses is refused here as well,
  // with the code the native path gives (it checks the signature before the time claims)
  const issuer = parseDidKey(decoded.value.payload.iss)
  const strict = issuer.ok ? verifyJwtSignature(decoded.value, decoded.value.payload.iss as string) : undefined
  let payload: Record<string, unknown>
  try {
    const { verifyJWT } = await import('did-jwt')
    const verified = await verifyJWT(token, {
      resolver: resolver as unknown as DidJwtResolvable,
      skewTime: skew,
      proofPurpose: 'assertionMethod',
      policies: { now, nbf: true, iat: true, exp: true, aud: false }
    })
    payload = verified.payload
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    // an issuer that is not a strictly valid did:key gets the same code as on the native path
    if (!issuer.ok) return fail(issuer.error.code, `iss: ${issuer.error.message}`)
    if (strict != null && !strict.ok) return strict
    return fail(classify(message), `did-jwt: ${message.slice(0, 300)}`)
  }
  if (!issuer.ok) return fail(issuer.error.code, `iss: ${issuer.error.message}`)
  if (strict != null && !strict.ok) return strict
  return checkCredentialClaims(payload, token, now, options)
}
