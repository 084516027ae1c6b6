/**
 * Errors the agent SDK raises talking to its node over the local control API. Each condition is one
 * named class with a stable `code`; a node's JSON error reply `{ error: { code, message } }` becomes a
 * `ControlApiError`.
 */

/** Nothing listens on the control socket (missing file or connection refused). */
export class NodeNotRunningError extends Error {
  override readonly name = 'NodeNotRunningError'
  readonly code = 'NODE_NOT_RUNNING'
  readonly dataDir: string

  constructor (dataDir: string, options?: { cause?: unknown }) {
    super(`no trustmesh node is running for ${dataDir}; start one with: trustmesh node start --data-dir ${dataDir}`, options)
    this.dataDir = dataDir
  }
}

/** The node did not answer within the request timeout. */
export class ControlTimeoutError extends Error {
  override readonly name = 'ControlTimeoutError'
  readonly code = 'CONTROL_TIMEOUT'

  constructor (method: string, path: string, timeoutMs: number) {
    super(`control request ${method} ${path} timed out after ${timeoutMs} ms`)
  }
}

/** The connection to the node failed for another reason (reset, permission denied, bad reply). */
export class ControlConnectionError extends Error {
  override readonly name = 'ControlConnectionError'
  readonly code = 'CONTROL_CONNECTION_FAILED'

  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** The node answered with an error reply `{ error: { code, message } }`. */
export class ControlApiError extends Error {
  override readonly name = 'ControlApiError'
  readonly code: string
  readonly status: number

  constructor (code: string, status: number, message: string) {
    super(message)
    this.code = code
    this.status = status
  }
}

/** The client was built without a data directory or socket path. */
export class InvalidClientOptionsError extends Error {
  override readonly name = 'InvalidClientOptionsError'
  readonly code = 'INVALID_OPTIONS'
}

/** An operation was aborted by its caller's AbortSignal. */
export class ControlAbortError extends Error {
  override readonly name = 'AbortError'
  readonly code = 'ABORTED'

  constructor (message = 'the operation was aborted') {
    super(message)
  }
}
