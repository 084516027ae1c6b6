/**
 * `POST /v1/peers/:did/echo`: a burst of bare echo requests on the verified connection to a partner
 * org (`count` of them, `concurrency` in flight), timed inside the node. It is the baseline the task
 * path is measured against (B12): the same connection, framing and hello gate, and no work behind it.
 */
import { ControlRouteError } from '../errors.js'
import type { Components } from '../../components.js'
import { sendEcho } from '../../../protocols/echo/index.js'

const MAX_COUNT = 100_000
const MAX_CONCURRENCY = 64

export function echoRoutes (ctx: Pick<Components, 'control' | 'mesh'>): void {
  ctx.control.route('POST', '/v1/peers/:did/echo', async (req) => {
    const b = (req.body ?? {}) as { count?: unknown, concurrency?: unknown }
    const count = typeof b.count === 'number' && Number.isSafeInteger(b.count) ? b.count : 1
    const concurrency = typeof b.concurrency === 'number' && Number.isSafeInteger(b.concurrency) ? b.concurrency : 1
    if (count < 1 || count > MAX_COUNT) throw new ControlRouteError('BAD_REQUEST', `count must be 1 to ${MAX_COUNT}`, 400)
    if (concurrency < 1 || concurrency > MAX_CONCURRENCY) throw new ControlRouteError('BAD_REQUEST', `concurrency must be 1 to ${MAX_CONCURRENCY}`, 400)
    const conn = await ctx.mesh.connectionToOrg(req.params.did, { signal: AbortSignal.any([req.signal, AbortSignal.timeout(5_000)]) })
    const payload = 'x'.repeat(200)
    const latencies: number[] = []
    let next = 0
    const t0 = performance.now()
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count && !req.signal.aborted) {
        const n = next++
        const s = performance.now()
        await sendEcho(conn, { v: 1, n, payload }, { signal: AbortSignal.any([req.signal, AbortSignal.timeout(5_000)]) })
        latencies.push(performance.now() - s)
      }
    }))
    const ms = performance.now() - t0
    latencies.sort((x, y) => x - y)
    const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]
    return { count: latencies.length, concurrency, ms, rate: latencies.length / (ms / 1000), p50: at(0.5), p99: at(0.99) }
  })
}
