/**
 * Errors of the local control API. Each condition is one named class with a stable `code`; the server
 * turns any thrown error that carries a string `code` (and optional numeric `status`) into a JSON error
 * reply, and the client turns such replies back into `ControlApiError`.
 */

/** Error a route handler throws to answer with a specific code and HTTP status. */
export class ControlRouteError extends Error {
  override readonly name: string = 'ControlRouteError'
  readonly code: string
  readonly status: number

  constructor (code: string, message: string, status = 400) {
    super(message)
    this.code = code
    this.status = status
  }
}

/** Another process already answers on the control socket. */
export class NodeAlreadyRunningError extends Error {
  override readonly name = 'NodeAlreadyRunningError'
  readonly code = 'NODE_ALREADY_RUNNING'
  readonly socketPath: string

  constructor (socketPath: string) {
    super(`a trustmesh node is already running on ${socketPath}`)
    this.socketPath = socketPath
  }
}

/** The control socket path cannot be used (too long, not a socket, wrong mode after creation). */
export class ControlSocketError extends Error {
  override readonly name = 'ControlSocketError'
  readonly code = 'CONTROL_SOCKET_INVALID'
  readonly socketPath: string

  constructor (socketPath: string, message: string) {
    super(message)
    this.socketPath = socketPath
  }
}

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
