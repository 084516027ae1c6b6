/**
 * Server-side errors of the local control API. Each condition is one named class with a stable `code`;
 * the server turns any thrown error that carries a string `code` (and optional numeric `status`) into a
 * JSON error reply, and the client turns such replies back into `ControlApiError` (client/errors.ts).
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
