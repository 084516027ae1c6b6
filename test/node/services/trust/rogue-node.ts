/**
 * A real node process that misbehaves on the trust topic, for test/process/trust.spec.ts: a normal
 * node (default features) plus a control route that publishes forged or self-issued attestations
 * straight to gossipsub, bypassing its own validation. Test-only; never part of the product.
 *
 *   node rogue-node.js <data-dir> <listen-multiaddr>
 */
import '../../../../node/polyfill.js'
import { createNode } from '../../../../node/create-node.js'
import { createLogger } from '../../../../identity/logger.js'
import { signJwt } from '../../../../identity/jwt.js'
import { RecordTopics } from '../../../../node/gossip/index.js'
import { ATTESTATION_TYP } from '../../../../trust/index.js'

const [dataDir, listen] = process.argv.slice(2)

const node = await createNode({ dataDir, listen: [listen], mdns: false, logger: createLogger('rogue', { level: 'warn' }) })
const ctx = node.components
{
  ctx.control.route('POST', '/v1/test/forge', async (req) => {
    const b = req.body as { kind: 'forged' | 'self', claimIssuer?: string, subject?: string }
    const now = Math.floor(Date.now() / 1000)
    const iss = b.kind === 'forged' ? String(b.claimIssuer) : ctx.identity.orgDid
    const sub = b.kind === 'forged' ? String(b.subject) : ctx.identity.orgDid
    // signed with this org's key, whatever the claimed issuer
    const jwt = await signJwt({ iss, sub, score: 1000, evidence: { ok: 99, error: 0, denied: 0, timeout: 0 }, iat: now, exp: now + 600, jti: `${b.kind}-${now}-${Math.random()}` }, ctx.orgSigner, { typ: ATTESTATION_TYP })
    const r = await ctx.libp2p.services.pubsub.publish(RecordTopics.trust, new TextEncoder().encode(jwt))
    return { recipients: r.recipients.length }
  })
}
await node.start()
const stop = (): void => { void node.stop().then(() => process.exit(0), () => process.exit(1)) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
