/** Temporary data directories for store tests, under os.tmpdir(), removed after use. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export async function makeTempDir (label: string): Promise<string> {
  return await mkdtemp(join(tmpdir(), `trustmesh-store-${label}-`))
}

export async function removeDir (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 })
}
