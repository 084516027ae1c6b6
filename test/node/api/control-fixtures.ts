/** Shared pieces of the control API tests: short temp dirs (sun_path limit) and raw HTTP over a socket. */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import type { Agent } from 'node:http'
import { join } from 'node:path'

export interface TempDir { dir: string, socketPath: string, remove: () => void }

export function tempDir (): TempDir {
  const dir = mkdtempSync('/tmp/tmc-')
  return { dir, socketPath: join(dir, 'control.sock'), remove: () => { rmSync(dir, { recursive: true, force: true }) } }
}

export interface RawReply { status: number, headers: Record<string, unknown>, text: string, json: unknown }

/** One HTTP request with a raw body string, so tests can send what the client never would. */
export async function raw (socketPath: string, method: string, path: string, body?: string | Buffer, agent?: Agent): Promise<RawReply> {
  return await new Promise<RawReply>((resolve, reject) => {
    const req = request({ socketPath, method, path, agent: agent ?? false, headers: body == null ? {} : { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try { json = text.length > 0 ? JSON.parse(text) : undefined } catch { json = undefined }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Poll `check` until it is true or the deadline passes (no fixed sleeps). */
export async function waitFor (check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met before the deadline')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Leave a socket file nobody answers on, as a node killed with SIGKILL does. */
export async function staleSocket (socketPath: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => { child.stdout.once('data', () => { resolve() }); child.once('error', reject) })
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  child.kill('SIGKILL')
  await exited
}
