/**
 * An approver's own key file: an Ed25519 private JWK (`{ kty: OKP, crv: Ed25519, x, d }`, mode 0600),
 * the format WebCrypto imports too, so the same key can sign in the CLI or in the web console. The
 * node never holds it: the CLI signs the approval and sends only the signed JWT.
 */
import { writeFile, chmod } from 'node:fs/promises'
import { Ed25519Signer } from '../identity/signer.js'
import { UsageError } from './output.js'
import { readRegularFile } from '../identity/regular-file.js'

export async function readApproverKey (file: string): Promise<Ed25519Signer> {
  let text: string
  try { text = await readRegularFile(file) } catch (err) { throw new UsageError(`--key: cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`) }
  let jwk: { kty?: unknown, crv?: unknown, d?: unknown, x?: unknown }
  try { jwk = JSON.parse(text) as typeof jwk } catch { throw new UsageError(`--key: ${file} is not a JSON Web Key`) }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') throw new UsageError(`--key: ${file} is not an Ed25519 private JWK (kty OKP, crv Ed25519, d)`)
  const seed = Buffer.from(jwk.d, 'base64url')
  if (seed.length !== 32) throw new UsageError(`--key: ${file}: d must be 32 bytes`)
  const signer = new Ed25519Signer(seed)
  if (typeof jwk.x === 'string' && Buffer.from(signer.publicKey).toString('base64url') !== jwk.x) throw new UsageError(`--key: ${file}: x does not match d`)
  return signer
}

export async function writeApproverKey (file: string): Promise<Ed25519Signer> {
  const signer = Ed25519Signer.generate()
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(signer.publicKey).toString('base64url'), d: Buffer.from(signer.exportSeed()).toString('base64url'), kid: signer.did }
  await writeFile(file, JSON.stringify(jwk) + '\n', { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(err.code === 'EEXIST' ? `--out: ${file} exists (never overwritten)` : `--out: cannot write ${file}: ${err.message}`)
  })
  await chmod(file, 0o600)
  return signer
}
