/**
 * echo (`/trustmesh/echo/1.0.0`): a diagnostic request/response with no work behind it, served only
 * after hello like every trustmesh protocol. It is the baseline of the task path: the bare rate of
 * one request and one reply on a new stream of a verified connection (DESIGN.md section 10, B12).
 */
import { int, literal, object, schemaOf, str } from '../schema.js'

export const ECHO_PROTOCOL = '/trustmesh/echo/1.0.0'
export const ECHO_MAX_BYTES = 8 * 1024
export const ECHO_MAX_INBOUND_STREAMS = 64
export const ECHO_TIMEOUT_MS = 5_000

export interface EchoMessage { v: 1, n: number, payload: string }

export const echoSchema = schemaOf<EchoMessage>('echo', object({ v: literal(1), n: int(0, Number.MAX_SAFE_INTEGER), payload: str(4096) }))
