/**
 * Exceptions of the SPIFFE Workload API client. These are I/O conditions (socket missing, agent refusing
 * us), thrown or reported as named classes with a stable `code`; SVID validation never throws and
 * returns a Result instead.
 */
export const SpiffeErrorCode = {
  /** No socket configured (neither option nor `SPIFFE_ENDPOINT_SOCKET`). */
  NOT_CONFIGURED: 'SPIFFE_NOT_CONFIGURED',
  /** Socket address is not `unix:///abs/path` or `tcp://<ip>:<port>`. */
  BAD_ADDRESS: 'SPIFFE_BAD_ADDRESS',
  /** The Workload API could not be reached, or sent nothing usable before the deadline. */
  UNAVAILABLE: 'SPIFFE_UNAVAILABLE',
  /** The agent answered InvalidArgument: a client bug or missing header; never retried. */
  REJECTED: 'SPIFFE_REJECTED',
  /** The agent sent a response without a usable SVID. */
  NO_SVID: 'SPIFFE_NO_SVID',
  /** The caller aborted or closed the client. */
  ABORTED: 'SPIFFE_ABORTED'
} as const

export type SpiffeErrorCodeValue = typeof SpiffeErrorCode[keyof typeof SpiffeErrorCode]

export class SpiffeError extends Error {
  override name = 'SpiffeError'
  readonly code: SpiffeErrorCodeValue
  constructor (code: SpiffeErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

export class SpiffeNotConfiguredError extends SpiffeError {
  override name = 'SpiffeNotConfiguredError'
  constructor (message = 'no SPIFFE Workload API socket configured (set --spiffe-socket or SPIFFE_ENDPOINT_SOCKET)') {
    super(SpiffeErrorCode.NOT_CONFIGURED, message)
  }
}

export class SpiffeBadAddressError extends SpiffeError {
  override name = 'SpiffeBadAddressError'
  constructor (message: string) {
    super(SpiffeErrorCode.BAD_ADDRESS, message)
  }
}

export class SpiffeUnavailableError extends SpiffeError {
  override name = 'SpiffeUnavailableError'
  constructor (message: string, options?: { cause?: unknown }) {
    super(SpiffeErrorCode.UNAVAILABLE, message, options)
  }
}

export class SpiffeRejectedError extends SpiffeError {
  override name = 'SpiffeRejectedError'
  constructor (message: string, options?: { cause?: unknown }) {
    super(SpiffeErrorCode.REJECTED, message, options)
  }
}

export class SpiffeNoSvidError extends SpiffeError {
  override name = 'SpiffeNoSvidError'
  constructor (message: string) {
    super(SpiffeErrorCode.NO_SVID, message)
  }
}

export class SpiffeAbortedError extends SpiffeError {
  override name = 'SpiffeAbortedError'
  constructor (message = 'SPIFFE Workload API call aborted') {
    super(SpiffeErrorCode.ABORTED, message)
  }
}
