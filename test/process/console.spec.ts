/**
 * The web console in Debian's chromium, driven by playwright-core: an approver opens the console,
 * makes a key in the browser (WebCrypto Ed25519, never leaves it), sees a parked task with its chain,
 * ring, rule and reason, approves it with a justification, and the task runs; a rule that says two
 * needs a second approver (another browser profile); the peers page shows partners and decisions.
 * A screenshot is kept in test-artifacts/. Without /usr/bin/chromium the test is pending.
 */
import { expect } from 'chai'
import { existsSync, mkdirSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { cli, stopAllNodes, waitUntil } from '../helpers/node-process.js'
import { makeOrgTemplates, type OrgTemplates } from './org-templates.js'
import { api, pair, sendPayment, type Pair } from './payments-pair.js'

const CHROMIUM = '/usr/bin/chromium'
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const ARTEFACTS = `${ROOT}test-artifacts`
const EXAMPLE_AGENT = fileURLToPath(new URL('../../scripts/example-agent.js', import.meta.url))
/** Headless, as root, and quiet on a closed network (see the machine notes). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

async function statusAtAcme (p: Pair, id: string): Promise<string> {
  return (await cli(p.acme.dir, ['--json', 'task', 'status', id])).json<{ outcome: string }>().outcome
}

/** A browser profile of one approver: makes its key in the page and is enrolled by the operator. */
async function approverPage (browser: Browser, base: string, p: Pair, name: string): Promise<{ page: Page, context: BrowserContext, did: string }> {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(base)
  await page.click('#generate-key')
  await page.locator('#approver-did', { hasText: 'did:key:z6Mk' }).waitFor()
  const did = (await page.textContent('#approver-did')) as string
  await api(p.globex.dir, 'POST', '/v1/approvers', { name, did, role: 'payments-approver' })
  return { page, context, did }
}

async function decideInPage (page: Page, approvalId: string, reason: string, expected: string): Promise<void> {
  await page.reload()
  const form = `form[data-approval="${approvalId}"]`
  await page.fill(`${form} textarea`, reason)
  await page.click(`${form} button[value="approve"]`)
  await page.locator(`${form} .result`, { hasText: expected }).waitFor({ timeout: 30_000 })
}

describe('web console (chromium)', function () {
  this.timeout(120_000)
  if (!existsSync(CHROMIUM)) {
    it(`install chromium: ${CHROMIUM} is absent (apt-get install -y chromium); the console browser test cannot run`)
    return
  }
  let orgs: OrgTemplates
  let browser: Browser | undefined
  const agents: Array<{ kill: () => void }> = []
  before(async function () {
    orgs = await makeOrgTemplates(['acme', 'globex'])
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  })
  afterEach(async () => { for (const a of agents.splice(0)) a.kill(); await stopAllNodes(); orgs.cleanupCopies() })
  after(async () => { await browser?.close(); orgs?.cleanup() })

  it('an approver sees the parked task with its chain and reason, approves it in the browser, and it runs; two are needed when the rule says two', async () => {
    const p = await pair(orgs, { extraArgs: ['--console-listen', '127.0.0.1:0'] })
    const agent = spawn(process.execPath, [EXAMPLE_AGENT, '--data-dir', p.globex.dir, '--agent', 'gina', '--can', 'payments/send'], { stdio: ['ignore', 'pipe', 'pipe'] })
    agents.push({ kill: () => agent.kill('SIGKILL') })
    let agentOut = ''
    agent.stdout.setEncoding('utf8').on('data', (d: string) => { agentOut += d })
    await waitUntil(() => agentOut.includes('is serving'), 10_000, 'the example agent to serve')
    const status = await api<{ consoleListen?: string }>(p.globex.dir, 'GET', '/v1/status')
    expect(status.consoleListen).to.match(/^127\.0\.0\.1:\d+$/)
    const base = `http://${status.consoleListen as string}/`

    // one approval: ann sees the task, its chain, ring, rule and reason, and approves it
    const small = await sendPayment(p, { amount: 42 })
    expect(small.outcome).to.equal('pending')
    const ann = await approverPage(browser as Browser, base, p, 'ann')
    await ann.page.reload()
    const article = ann.page.locator('article.approval', { has: ann.page.locator(`form[data-approval="${small.approvalId as string}"]`) })
    const text = await article.innerText()
    expect(text).to.contain('payments/send')
    expect(text).to.contain('pay-needs-approval')
    expect(text).to.contain('ring 1')
    expect(text).to.contain(p.gina) // the chain's link: gina granted alice
    expect(text).to.contain(p.alice)
    mkdirSync(ARTEFACTS, { recursive: true })
    await ann.page.screenshot({ path: `${ARTEFACTS}/console-approval.png`, fullPage: true })
    await decideInPage(ann.page, small.approvalId as string, 'invoice 42 checked against the order', 'approved (ok OK)')
    expect(await statusAtAcme(p, small.id)).to.equal('ok')

    // the two-person rule: ann's approval is recorded, the task waits; bea's completes it
    const big = await sendPayment(p, { amount: 5000 })
    expect([big.outcome, big.reason]).to.satisfy(([o, r]: [string, string]) => o === 'pending' && r.includes('big-payments-two-person'))
    await decideInPage(ann.page, big.approvalId as string, 'first signature: supplier verified', '1 of 2 approvals')
    expect(await statusAtAcme(p, big.id)).to.equal('pending')
    const bea = await approverPage(browser as Browser, base, p, 'bea')
    expect(bea.did).to.not.equal(ann.did)
    await decideInPage(bea.page, big.approvalId as string, 'second signature: budget line 7', 'approved (ok OK)')
    expect(await statusAtAcme(p, big.id)).to.equal('ok')
    const shown = await api<{ approvals: Array<{ name: string, reason: string }> }>(p.globex.dir, 'GET', `/v1/approvals/${big.approvalId as string}`)
    expect(shown.approvals.map(a => [a.name, a.reason])).to.deep.equal([['ann', 'first signature: supplier verified'], ['bea', 'second signature: budget line 7']])

    // peers and the latest decisions with their reason codes
    await ann.page.goto(`${base}peers`)
    const peers = await ann.page.innerText('main')
    expect(peers).to.contain('acme')
    expect(peers).to.contain(p.acme.orgDid)
    expect(peers).to.contain('APPROVAL_REQUIRED')
    await ann.page.screenshot({ path: `${ARTEFACTS}/console-peers.png`, fullPage: true })

    // a cross-site request cannot decide
    const forged = await fetch(`${base}api/approvals/${big.approvalId as string}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: '{"token":"x"}' })
    expect(forged.status).to.equal(403)
    await ann.context.close()
    await bea.context.close()
  })
})
