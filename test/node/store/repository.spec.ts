/** Runs the repository conformance suite against the LevelDB and the in-memory implementations. */
import { MemoryRepository } from '../../../node/store/memory-repository.js'
import { openStore } from '../../../node/store/open-store.js'
import type { Store } from '../../../node/store/open-store.js'
import type { Codec } from '../../../node/store/repository.js'
import type { SublevelName } from '../../../node/store/sublevels.js'
import { repositoryConformance } from './repository-conformance.js'
import type { RepoFactory, RepoHarness } from './repository-conformance.js'
import { makeTempDir, removeDir } from './temp-dir.js'

describe('store: Repository conformance', () => {
  describe('LevelDB repository', () => {
    repositoryConformance((): RepoFactory => {
      let dir: string | undefined
      let store: Store | undefined
      return {
        make: async <T>(name: SublevelName, codec?: Codec<T>): Promise<RepoHarness<T>> => {
          if (store === undefined) {
            dir = await makeTempDir('conformance')
            store = await openStore(dir)
          }
          const raw = store.sublevel(name)
          return {
            repo: store.repository<T>(name, codec),
            writeRaw: async (key, text) => { await raw.put(key, text, { valueEncoding: 'utf8' }) }
          }
        },
        cleanup: async () => {
          await store?.close()
          if (dir !== undefined) await removeDir(dir)
        }
      }
    })
  })

  describe('MemoryRepository', () => {
    repositoryConformance((): RepoFactory => ({
      make: async <T>(name: SublevelName, codec?: Codec<T>): Promise<RepoHarness<T>> => {
        const repo = new MemoryRepository<T>(name, codec)
        return { repo, writeRaw: async (key, text) => { repo.putRaw(key, text) } }
      },
      cleanup: async () => {}
    }))
  })
})
