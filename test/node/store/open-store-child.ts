/**
 * Child-process helper for the two-processes test: opens the store in argv[2] and prints one JSON
 * line, `{"ok":true}` or `{"ok":false,"code":...,"message":...}`, then exits.
 */
import { openStore } from '../../../node/store/open-store.js'

const dir = process.argv[2]
try {
  const store = await openStore(dir)
  await store.close()
  process.stdout.write(JSON.stringify({ ok: true }) + '\n')
} catch (err) {
  const e = err as { code?: unknown, message?: unknown }
  process.stdout.write(JSON.stringify({ ok: false, code: e.code, message: e.message }) + '\n')
}
