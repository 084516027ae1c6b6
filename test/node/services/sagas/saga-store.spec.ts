/**
 * Writes of one saga record land in the order they were asked for, even when the store would finish
 * two puts of one key out of order (LevelDB runs each on the thread pool): the operator's cancel and
 * the coordinator save the same record at once, and the older state must not be what is left.
 */
import { expect } from 'chai'
import { SagaStore } from '../../../../node/services/sagas/saga-store.js'
import type { MemoryRepository } from '../../../../node/store/memory-repository.js'
import type { SagaRecord } from '../../../../sagas/index.js'

describe('saga store', () => {
  it('two saves of one saga in flight at once leave the later state on disk', async () => {
    const disk = new Map<string, string>()
    let calls = 0
    // encodes when called (as LevelDB does), then the first write is slower than the second
    const repo = {
      name: 'sagas',
      list: async () => [...disk.entries()].map(([k, v]) => [k, JSON.parse(v)]),
      put: async (k: string, v: SagaRecord) => {
        const text = JSON.stringify(v)
        const delay = ++calls === 1 ? 30 : 0
        await new Promise(resolve => setTimeout(resolve, delay))
        disk.set(k, text)
      }
    } as unknown as MemoryRepository<SagaRecord>
    const store = new SagaStore(repo)
    const rec = { id: 'saga-1', state: 'running', timeline: [], steps: [] } as unknown as SagaRecord
    const first = store.save(rec, 1)
    rec.state = 'compensating'
    const second = store.save(rec, 2)
    await Promise.all([first, second])
    expect(JSON.parse(disk.get('saga-1') as string)).to.include({ state: 'compensating', updatedAt: 2 })
    expect(store.get('saga-1')?.state).to.equal('compensating')
  })
})
