/**
 * The console's browser script, served as /console.js (same origin; no CDN, no framework). The
 * approver's Ed25519 key is made or imported in the browser with WebCrypto, kept non-extractable in
 * IndexedDB, and signs the approval JWT (the same `trustmesh-approval+jwt` the CLI signs) in the
 * page; only the signed token is sent to the node, which verifies it as it verifies a CLI approval.
 */
export const CONSOLE_SCRIPT = String.raw`'use strict'
const DB = 'trustmesh-console'
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
const $ = (sel) => document.querySelector(sel)

function b64url (bytes) {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
function fromB64url (text) {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4))
  return Uint8Array.from(s, c => c.charCodeAt(0))
}
function base58 (bytes) {
  const digits = [0]
  for (const byte of bytes) {
    let carry = byte
    for (let i = 0; i < digits.length; i++) { carry += digits[i] << 8; digits[i] = carry % 58; carry = (carry / 58) | 0 }
    while (carry > 0) { digits.push(carry % 58); carry = (carry / 58) | 0 }
  }
  let out = ''
  for (const b of bytes) { if (b !== 0) break; out += '1' }
  for (let i = digits.length - 1; i >= 0; i--) out += B58[digits[i]]
  return out
}
function didKey (rawPublic) {
  const bytes = new Uint8Array(34)
  bytes.set([0xed, 0x01]); bytes.set(rawPublic, 2)
  return 'did:key:z' + base58(bytes)
}

function db () {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1)
    r.onupgradeneeded = () => r.result.createObjectStore('keys')
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
}
async function load () {
  const d = await db()
  return await new Promise((resolve, reject) => {
    const r = d.transaction('keys').objectStore('keys').get('approver')
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
}
async function save (value) {
  const d = await db()
  await new Promise((resolve, reject) => {
    const t = d.transaction('keys', 'readwrite')
    t.objectStore('keys').put(value, 'approver')
    t.oncomplete = resolve
    t.onerror = () => reject(t.error)
  })
}

let approver
function say (text) { const s = $('#status'); if (s) s.textContent = text }
function show () {
  const el = $('#approver-did')
  if (el) el.textContent = approver ? approver.did : 'no key in this browser yet'
  const hint = $('#approver-hint')
  if (hint) hint.hidden = approver == null
  if (hint && approver) hint.textContent = 'An operator enrols this key with: trustmesh approval approver add NAME --did ' + approver.did + ' --role ROLE'
}

async function generate () {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
  approver = { did: didKey(raw), privateKey: pair.privateKey }
  await save(approver)
  show()
  say('A new approver key was made in this browser; its private half cannot leave it.')
}

async function importFile (file) {
  const jwk = JSON.parse(await file.text())
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string' || typeof jwk.x !== 'string') throw new Error('not an Ed25519 private JWK')
  const privateKey = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', d: jwk.d, x: jwk.x }, { name: 'Ed25519' }, false, ['sign'])
  approver = { did: didKey(fromB64url(jwk.x)), privateKey }
  await save(approver)
  show()
  say('Key imported into this browser.')
}

async function signApproval (taskId, decision, reason) {
  const enc = new TextEncoder()
  const iat = Math.floor(Date.now() / 1000)
  const jti = b64url(crypto.getRandomValues(new Uint8Array(16)))
  const header = b64url(enc.encode(JSON.stringify({ alg: 'EdDSA', typ: 'trustmesh-approval+jwt' })))
  const payload = b64url(enc.encode(JSON.stringify({ iss: approver.did, sub: taskId, decision, iat, exp: iat + 300, jti, reason })))
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, approver.privateKey, enc.encode(header + '.' + payload)))
  return header + '.' + payload + '.' + b64url(sig)
}

async function decide (form, decision) {
  if (approver == null) { say('Make or import an approver key first.'); return }
  const reason = form.querySelector('textarea').value.trim()
  if (reason === '') { say('A justification is required.'); form.querySelector('textarea').focus(); return }
  const token = await signApproval(form.dataset.task, decision, reason)
  const res = await fetch('/api/approvals/' + encodeURIComponent(form.dataset.approval) + '/' + decision, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token })
  })
  const body = await res.json()
  const out = form.querySelector('.result')
  if (!res.ok) { out.textContent = body.code + ': ' + body.message; say('Refused: ' + body.code); return }
  out.textContent = body.state === 'pending'
    ? 'recorded: ' + body.approvals.length + ' of ' + body.required.count + ' approvals'
    : body.state + (body.outcome ? ' (' + body.outcome + ' ' + body.code + ')' : '')
  say('Decision recorded for ' + form.dataset.approval + ': ' + out.textContent)
}

addEventListener('DOMContentLoaded', async () => {
  try { approver = await load() } catch { approver = undefined }
  show()
  $('#generate-key')?.addEventListener('click', () => { generate().catch(err => say('Key generation failed: ' + err.message)) })
  $('#import-key')?.addEventListener('change', (e) => { const f = e.target.files[0]; if (f) importFile(f).catch(err => say('Import failed: ' + err.message)) })
  for (const form of document.querySelectorAll('form.decide')) {
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      const decision = e.submitter && e.submitter.value === 'deny' ? 'deny' : 'approve'
      decide(form, decision).catch(err => say('Signing failed: ' + err.message))
    })
  }
})
`
