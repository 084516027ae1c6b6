/**
 * The one way the node and the CLI read a file they are given (policy, keys, swarm key, credentials,
 * trust bundles, CLI file arguments): opened without blocking (O_NONBLOCK, so a FIFO with no writer
 * or a device cannot stall the event loop), checked with fstat to be a regular file of bounded size
 * before a byte is read, then read through fs.promises. Anything else is a named error with a code.
 */
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'

/** Default limit for small files (keys, credentials, swarm keys): 1 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024

export class NotRegularFileError extends Error {
  override readonly name = 'NotRegularFileError'
  readonly code = 'NOT_REGULAR_FILE'
  constructor (readonly path: string, kind: string) {
    super(`${path} is not a regular file (${kind})`)
  }
}

export class FileTooLargeError extends Error {
  override readonly name = 'FileTooLargeError'
  readonly code = 'FILE_TOO_LARGE'
  constructor (readonly path: string, readonly maxBytes: number) {
    super(`${path} is larger than ${maxBytes} bytes`)
  }
}

export interface ReadRegularFileOptions {
  /** Largest size accepted (default 1 MiB). */
  maxBytes?: number
  signal?: AbortSignal
}

function kindOf (s: { isFIFO: () => boolean, isCharacterDevice: () => boolean, isBlockDevice: () => boolean, isDirectory: () => boolean, isSocket: () => boolean }): string {
  if (s.isFIFO()) return 'a FIFO'
  if (s.isCharacterDevice()) return 'a character device'
  if (s.isBlockDevice()) return 'a block device'
  if (s.isDirectory()) return 'a directory'
  if (s.isSocket()) return 'a socket'
  return 'not a file'
}

/** Read a regular file of at most `maxBytes`; throws NotRegularFileError, FileTooLargeError or the fs error. */
export async function readRegularFileBytes (path: string, options: ReadRegularFileOptions = {}): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES
  options.signal?.throwIfAborted()
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const s = await handle.stat()
    if (!s.isFile()) throw new NotRegularFileError(path, kindOf(s))
    if (s.size > maxBytes) throw new FileTooLargeError(path, maxBytes)
    // read at most one byte past the limit, in case the file grew after fstat
    const buf = Buffer.alloc(Math.min(maxBytes + 1, Math.max(s.size, 0) + 1))
    let n = 0
    while (n < buf.length) {
      options.signal?.throwIfAborted()
      const { bytesRead } = await handle.read(buf, n, buf.length - n, n)
      if (bytesRead === 0) break
      n += bytesRead
    }
    if (n > maxBytes) throw new FileTooLargeError(path, maxBytes)
    if (n === buf.length) {
      // the file grew past what fstat said: read on, still bounded
      const more = await readRest(handle, path, n, maxBytes, options.signal)
      return Buffer.concat([buf.subarray(0, n), more])
    }
    return buf.subarray(0, n)
  } finally {
    await handle.close()
  }
}

async function readRest (handle: Awaited<ReturnType<typeof open>>, path: string, offset: number, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = offset
  for (;;) {
    signal?.throwIfAborted()
    const chunk = Buffer.alloc(64 * 1024)
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, total)
    if (bytesRead === 0) return Buffer.concat(chunks)
    total += bytesRead
    if (total > maxBytes) throw new FileTooLargeError(path, maxBytes)
    chunks.push(chunk.subarray(0, bytesRead))
  }
}

/** `readRegularFileBytes` as UTF-8 text. */
export async function readRegularFile (path: string, options: ReadRegularFileOptions = {}): Promise<string> {
  return (await readRegularFileBytes(path, options)).toString('utf8')
}
