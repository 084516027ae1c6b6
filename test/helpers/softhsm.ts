/**
 * SoftHSM2 tokens for tests: a temp SOFTHSM2_CONF with its own tokendir, tokens made with
 * `softhsm2-util --init-token`. Suites that need it call `requireSoftHsm(this)` in `before`, which
 * marks them pending (naming the Debian package softhsm2) on a machine without it, never passed.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where Debian's softhsm2 package puts the PKCS#11 module. */
export const SOFTHSM_MODULE = process.env.TRUSTMESH_TEST_PKCS11_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so'
export const SOFTHSM_MISSING = 'SoftHSM2 is not installed (Debian package softhsm2: apt-get install softhsm2)'
export const TEST_PIN = '123456'
export const TEST_SO_PIN = '12345678'

export function softHsmAvailable (): boolean {
  if (!existsSync(SOFTHSM_MODULE)) return false
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** In `before`: skip (pending) the suite when SoftHSM2 is absent, saying which package it needs. */
export function requireSoftHsm (ctx: Mocha.Context): void {
  if (softHsmAvailable()) return
  if (ctx.test != null) ctx.test.title += ` (pending: ${SOFTHSM_MISSING})`
  ctx.skip()
}

export interface SoftHsm {
  dir: string
  conf: string
  module: string
  /** Environment for child processes (and this one: `process.env.SOFTHSM2_CONF` is set too). */
  env: NodeJS.ProcessEnv
  /** Create a token; returns its label. */
  initToken: (label: string, pin?: string) => string
  /** Write the PIN to a 0600 file and return its path. */
  pinFile: (pin?: string) => string
  cleanup: () => void
}

export function makeSoftHsm (): SoftHsm {
  const dir = mkdtempSync('/tmp/tm-hsm-')
  const tokens = join(dir, 'tokens')
  mkdirSync(tokens, { mode: 0o700 })
  const conf = join(dir, 'softhsm2.conf')
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`)
  process.env.SOFTHSM2_CONF = conf
  const env = { SOFTHSM2_CONF: conf }
  let pins = 0
  return {
    dir,
    conf,
    module: SOFTHSM_MODULE,
    env,
    initToken (label, pin = TEST_PIN) {
      execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', TEST_SO_PIN], { env: { ...process.env, ...env }, stdio: 'pipe' })
      return label
    },
    pinFile (pin = TEST_PIN) {
      const f = join(dir, `pin-${pins++}`)
      writeFileSync(f, pin + '\n', { mode: 0o600 })
      return f
    },
    cleanup () { rmSync(dir, { recursive: true, force: true }) }
  }
}
