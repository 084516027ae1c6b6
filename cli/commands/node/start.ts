/**
 * `trustmesh node start`: run this organisation's node until SIGINT/SIGTERM. Initialises the data
 * directory first when it has never been initialised (the README's one-command start). Settings come
 * from the flags, else `<data-dir>/config.yaml` (node/config-file.ts), else defaults. Everything it
 * says goes through the logger, so `--log-json` output is JSON lines only.
 */
import type { Command } from 'commander'
import { contextOf, collect } from '../../context.js'
import { createNode } from '../../../node/create-node.js'
import { initOrganisation } from '../../../node/init-org.js'
import { readConfigFile, type ConfigFile } from '../../../node/config-file.js'
import { systemClock } from '../../../identity/clock.js'
import { createLogger, type LogLevel } from '../../../identity/logger.js'
import { dataDirLayout } from '../../../node/data-dir.js'
import { existsSync } from 'node:fs'

interface StartOptions {
  listen: string[], peer: string[], mdns: boolean, orgName?: string, passphrase?: string, spiffeSocket?: string, logLevel: LogLevel, logJson?: boolean
  metricsListen?: string, consoleListen?: string
}

/** A flag's value when given on the command line, else the config file's, else the flag's default. */
function pick<K extends keyof StartOptions & keyof ConfigFile> (cmd: Command, opts: StartOptions, file: ConfigFile, key: K): StartOptions[K] | ConfigFile[K] {
  if (cmd.getOptionValueSource(key) === 'cli') return opts[key]
  return file[key] ?? opts[key]
}

export function register (node: Command): void {
  node.command('start')
    .description('start the node (initialises the data directory first if needed) and run until stopped')
    .option('--listen <multiaddr>', 'listen address, repeatable (default /ip4/0.0.0.0/tcp/7420)', collect, [])
    .option('--peer <multiaddr>', 'static peer to dial, repeatable', collect, [])
    .option('--no-mdns', 'disable LAN discovery by mDNS')
    .option('--org-name <name>', 'org name if the data directory has to be initialised')
    .option('--passphrase <passphrase>', 'key store passphrase (default: TRUSTMESH_PASSPHRASE or the generated passphrase file)')
    .option('--spiffe-socket <address>', 'SPIFFE Workload API (unix:///path or tcp://ip:port; default SPIFFE_ENDPOINT_SOCKET)')
    .option('--metrics-listen <host:port>', 'serve Prometheus /metrics and /healthz here (loopback unless you say otherwise; off by default)')
    .option('--console-listen <host:port>', 'serve the web console for approvers here (loopback unless you say otherwise; off by default)')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option('--log-json', 'log as JSON lines (and nothing else)')
    .action(async (opts: StartOptions, cmd: Command) => {
      const { dataDir } = contextOf(cmd)
      const layout = dataDirLayout(dataDir)
      const file = await readConfigFile(layout.config)
      const logLevel = pick(cmd, opts, file, 'logLevel') as LogLevel
      const logger = createLogger('trustmesh', { level: logLevel, json: pick(cmd, opts, file, 'logJson') === true })
      if (!existsSync(layout.identity)) {
        const r = await initOrganisation({ dataDir, orgName: opts.orgName ?? 'my-org', passphrase: opts.passphrase, clock: systemClock })
        logger.info('initialised a new organisation', { dataDir: r.layout.root, org: r.identity.orgDid, name: r.identity.orgName })
      }
      const listen = opts.listen.length > 0 ? opts.listen : file.listen
      const peers = opts.peer.length > 0 ? opts.peer : file.peers ?? []
      const deadline = file.approvalDeadlineSeconds
      const node = await createNode({
        dataDir,
        listen,
        peers,
        mdns: pick(cmd, opts, file, 'mdns') !== false,
        passphrase: opts.passphrase,
        spiffeSocket: pick(cmd, opts, file, 'spiffeSocket'),
        logger,
        settings: {
          ...(deadline != null ? { approvalDeadlineMs: Math.round(deadline * 1000) } : {}),
          ...optional('metricsListen', pick(cmd, opts, file, 'metricsListen')),
          ...optional('consoleListen', pick(cmd, opts, file, 'consoleListen'))
        }
      })
      let stopping: Promise<void> | undefined
      const stop = (signal: string): void => {
        if (stopping != null) return
        logger.info('signal received, stopping', { signal })
        stopping = node.stop().then(() => { process.exit(0) }, (err) => { logger.error('stop failed', { error: (err as Error).message }); process.exit(1) })
      }
      process.on('SIGINT', () => { stop('SIGINT') })
      process.on('SIGTERM', () => { stop('SIGTERM') })
      try {
        await node.start()
      } catch (err) {
        await node.stop().catch(() => {})
        throw err
      }
      const s = node.components
      logger.info('running', { org: s.identity.orgName, orgDid: s.identity.orgDid, peerId: s.identity.peerId, listen: s.libp2p.getMultiaddrs().map(m => m.toString()), controlSocket: s.layout.controlSocket, ...(existsSync(layout.config) ? { config: layout.config } : {}) })
      // keep running until a signal arrives
      await new Promise<void>(() => {})
    })
}

function optional<K extends string> (key: K, value: string | undefined): Partial<Record<K, string>> {
  return value != null ? { [key]: value } as Record<K, string> : {}
}
