/**
 * Every file the node and the CLI are pointed at is read as a regular file of bounded size (issue 15
 * item 7): a FIFO with no writer where config.yaml, a PKCS#11 PIN file, an approver or agent key, or an
 * audit bundle file is expected is refused at once with a clear error, never a read that blocks.
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readConfigFile } from '../../node/config-file.js'
import { readPin } from '../../node/keys/key-location.js'
import { readApproverKey } from '../../cli/approver-key.js'
import { loadAgentKeyFile } from '../../identity/agent-key.js'
import { verifyBundle } from '../../audit/bundle.js'

/** The rejection of `p`, within 2 s (a read blocked on a FIFO would never settle). */
async function refusal (p: Promise<unknown>): Promise<Error> {
  const timeout = new Promise<never>((_resolve, reject) => setTimeout(() => { reject(new Error('the read blocked')) }, 2_000))
  const settled = await Promise.race([p.then(() => undefined, (err: unknown) => err), timeout])
  expect(settled, 'refused').to.be.instanceOf(Error)
  return settled as Error
}

describe('files the node and the CLI read: regular files only', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tm-files-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  const fifo = (name: string): string => { const p = join(dir, name); execFileSync('mkfifo', ['-m', '600', p]); return p }

  it('config.yaml as a FIFO: INVALID_CONFIG naming the file and "not a regular file"', async () => {
    const err = await refusal(readConfigFile(fifo('config.yaml')))
    expect((err as { code?: string }).code).to.equal('INVALID_CONFIG')
    expect(err.message).to.include('config.yaml').and.include('not a regular file')
    // an absent file is still an empty config
    expect(await readConfigFile(join(dir, 'none.yaml'))).to.deep.equal({})
  })

  it('a PKCS#11 PIN file as a FIFO: PIN_FILE_UNREADABLE', async () => {
    const err = await refusal(readPin(fifo('pin')))
    expect((err as { code?: string }).code).to.equal('PIN_FILE_UNREADABLE')
    writeFileSync(join(dir, 'pin.txt'), '1234\n')
    expect(await readPin(join(dir, 'pin.txt'))).to.equal('1234')
  })

  it('an approver key or an agent key as a FIFO is refused, naming it', async () => {
    const a = await refusal(readApproverKey(fifo('approver.jwk')))
    expect(a.message).to.include('approver.jwk').and.include('not a regular file')
    const k = await refusal(loadAgentKeyFile(fifo('agent.key')))
    expect((k as { code?: string }).code).to.equal('NOT_REGULAR_FILE')
  })

  it('an audit bundle whose files are FIFOs does not verify (and does not hang)', async () => {
    for (const name of ['entries.jsonl', 'checkpoint.txt', 'log-key.json', 'manifest.json']) fifo(name)
    const r = await Promise.race([verifyBundle(dir), new Promise<'blocked'>(resolve => setTimeout(() => { resolve('blocked') }, 2_000))])
    expect(r).to.not.equal('blocked')
    expect((r as { ok: boolean }).ok).to.equal(false)
  })
})
