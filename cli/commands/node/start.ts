/**
 * `trustmesh node start`: run this organisation's node until SIGINT/SIGTERM. Initialises the data
 * directory first when it has never been initialised (the README's one-command start).
 */
import type { Command } from 'commander'
import { contextOf, collect } from '../../context.js'
import { createNode } from '../../../node/create-node.js'
import { initOrganisation } from '../../../node/init-org.js'
import { systemClock } from '../../../identity/clock.js'
import { createLogger, type LogLevel } from '../../../identity/logger.js'
import { dataDirLayout } from '../../../node/data-dir.js'
import { existsSync } from 'node:fs'

interface StartOptions { listen: string[], peer: string[], mdns: boolean, orgName?: string, passphrase?: string, spiffeSocket?: string, logLevel: LogLevel, logJson?: boolean }

export function register (node: Command): void {
  node.command('start')
    .description('start the node (initialises the data directory first if needed) and run until stopped')
    .option('--listen <multiaddr>', 'listen address, repeatable (default /ip4/0.0.0.0/tcp/7420)', collect, [])
    .option('--peer <multiaddr>', 'static peer to dial, repeatable', collect, [])
    .option('--no-mdns', 'disable LAN discovery by mDNS')
    .option('--org-name <name>', 'org name if the data directory has to be initialised')
    .option('--passphrase <passphrase>', 'key store passphrase (default: TRUSTMESH_PASSPHRASE or the generated passphrase file)')
    .option('--spiffe-socket <address>', 'SPIFFE Workload API (unix:///path or tcp://ip:port; default SPIFFE_ENDPOINT_SOCKET)')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option('--log-json', 'log as JSON lines')
    .action(async (opts: StartOptions, cmd: Command) => {
      const { dataDir, out } = contextOf(cmd)
      const logger = createLogger('trustmesh', { level: opts.logLevel, json: opts.logJson === true })
      if (!existsSync(dataDirLayout(dataDir).identity)) {
        const r = await initOrganisation({ dataDir, orgName: opts.orgName ?? 'my-org', passphrase: opts.passphrase, clock: systemClock })
        logger.info('initialised a new organisation', { dataDir: r.layout.root, org: r.identity.orgDid, name: r.identity.orgName })
      }
      const node = await createNode({
        dataDir,
        listen: opts.listen.length > 0 ? opts.listen : undefined,
        peers: opts.peer,
        mdns: opts.mdns,
        passphrase: opts.passphrase,
        spiffeSocket: opts.spiffeSocket,
        logger
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
      out.note(`trustmesh node of ${s.identity.orgName} (${s.identity.orgDid}) running; PeerId ${s.identity.peerId}`)
      out.note(`listening on ${s.libp2p.getMultiaddrs().map(m => m.toString()).join(', ')}; control socket ${s.layout.controlSocket}`)
      // keep running until a signal arrives
      await new Promise<void>(() => {})
    })
}
