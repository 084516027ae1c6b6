/**
 * A small example agent with its own key: connects to its node's agent API with the SDK
 * (`trustmesh/client`), accepts its credential, and answers tasks.
 *
 *   node dist/scripts/example-agent.js --data-dir D --agent <name> [--key FILE] --can records/read [--can ...]
 *     [--forward-to <did> --forward-can <ability> --forward-with <resource>] [--delay-ms <n>]
 *
 * With --forward-*, the agent passes an attenuated part of every task on to an agent in another org
 * (as itself, under a delegation it holds) and includes that answer in its own; a sub-task that is
 * refused or fails makes this task fail (FORWARD_DENIED, FORWARD_ERROR, FORWARD_PENDING, naming the
 * hop's reason). With --delay-ms, the handler waits that long before answering (tests use it to hold
 * a task in flight). With --fail-on <field>, a task whose args have that field set to true fails
 * (a saga's failing step). Every task is logged with its args, so tests can count runs.
 */
import '../node/polyfill.js'
import { parseArgs } from 'node:util'
import { createAgent } from '../client/agent.js'

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: '.trustmesh' },
    agent: { type: 'string' },
    key: { type: 'string' },
    can: { type: 'string', multiple: true },
    'forward-to': { type: 'string' },
    'forward-can': { type: 'string' },
    'forward-with': { type: 'string' },
    fail: { type: 'boolean', default: false },
    'fail-on': { type: 'string' },
    'delay-ms': { type: 'string', default: '0' }
  }
})

async function main (): Promise<void> {
  if (values.agent == null || values.can == null || values.can.length === 0) {
    process.stderr.write('example-agent: --agent <name> and at least one --can <ability> are required\n')
    process.exit(2)
  }
  const delayMs = Number(values['delay-ms'])
  if (!Number.isInteger(delayMs) || delayMs < 0) {
    process.stderr.write('example-agent: --delay-ms must be a non-negative integer\n')
    process.exit(2)
  }
  const key = values.key ?? `${values['data-dir']}/agents/${values.agent}.key`
  const me = await createAgent({ dataDir: values['data-dir'], key })
  const agent = await me.me()
  const loop = me.serve(values.can, async (task) => {
    process.stdout.write(`task ${task.id}: ${task.ability} on ${task.resource} from ${task.invoker} args=${JSON.stringify(task.args ?? null)}\n`)
    if (delayMs > 0) await new Promise(resolve => setTimeout(resolve, delayMs))
    const failOn = values['fail-on']
    if (failOn != null && (task.args as Record<string, unknown> | undefined)?.[failOn] === true) throw Object.assign(new Error(`this example agent fails tasks with args.${failOn}`), { code: 'EXAMPLE_FAILURE' })
    if (values.fail) throw Object.assign(new Error('this example agent is set to fail'), { code: 'EXAMPLE_FAILURE' })
    let forwarded: { outcome: string, code: string, reason?: string } | undefined
    if (values['forward-to'] != null) {
      forwarded = await me.send({ to: values['forward-to'], ability: values['forward-can'] ?? task.ability, resource: values['forward-with'] ?? task.resource, args: task.args, timeoutMs: 30_000 })
      // a refused or failed sub-task fails this task too, naming the hop's reason (never an ok that hides it)
      if (forwarded.outcome !== 'ok') {
        throw Object.assign(new Error(`sub-task to ${values['forward-to']} ${forwarded.outcome}: ${forwarded.code}${forwarded.reason != null ? ` (${forwarded.reason})` : ''}`), { code: `FORWARD_${forwarded.outcome.toUpperCase()}` })
      }
    }
    return { handledBy: agent.name, ability: task.ability, resource: task.resource, args: task.args ?? null, ...(forwarded !== undefined ? { forwarded } : {}) }
  }, { onError: (err) => { process.stderr.write(`example-agent: ${err.message}\n`) } })
  process.stdout.write(`agent ${agent.name} (${agent.did}) is serving ${values.can.join(', ')}\n`)
  const stop = (): void => { void me.close().then(() => process.exit(0)) }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  await loop.done
}

main().catch((err: Error & { code?: string }) => {
  process.stderr.write(`example-agent: ${err.code != null ? err.code + ': ' : ''}${err.message}\n`)
  process.exit(1)
})
