#!/usr/bin/env node
/**
 * The `trustmesh` command: noun-verb subcommands, one file per verb under cli/commands/. Errors end
 * as one line on stderr with exit code 1 (failed or denied) or 2 (usage); never a stack trace.
 */
import '../node/polyfill.js'
import { Command, CommanderError } from 'commander'
import { buildProgram } from './program.js'
import { CliError, EXIT_FAILED, EXIT_USAGE } from './output.js'

function describe (err: unknown): { message: string, exit: number } {
  if (err instanceof CommanderError) return { message: '', exit: err.exitCode === 0 ? 0 : EXIT_USAGE }
  if (err instanceof CliError) return { message: err.message, exit: err.exitCode }
  const e = err as { code?: unknown, message?: unknown }
  const code = typeof e?.code === 'string' ? e.code : undefined
  const message = typeof e?.message === 'string' ? e.message : String(err)
  if (code === 'USAGE' || code === 'INVALID_ARGUMENT') return { message, exit: EXIT_USAGE }
  return { message: code != null && !message.includes(code) ? `${code}: ${message}` : message, exit: EXIT_FAILED }
}

// a reader that stops early (`| head`) is not an error
process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0) })

async function main (argv: string[]): Promise<void> {
  const program: Command = buildProgram()
  try {
    await program.parseAsync(argv)
  } catch (err) {
    const { message, exit } = describe(err)
    if (message !== '') process.stderr.write(`trustmesh: ${message.split('\n')[0]}\n`)
    process.exitCode = exit
  }
}

await main(process.argv)
