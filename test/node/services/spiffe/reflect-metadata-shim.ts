/**
 * Test-only minimal `Reflect` metadata API. @peculiar/x509 (used here only to generate test
 * certificates) loads tsyringe, which refuses to start without a reflect-metadata polyfill, and that
 * package is not installed. Library code does not use @peculiar/x509, so only tests need this.
 */
type Bag = Map<unknown, unknown>
const store = new WeakMap<object, Map<string | symbol | undefined, Bag>>()

function bag (target: object, prop: string | symbol | undefined, create: boolean): Bag | undefined {
  let byProp = store.get(target)
  if (byProp == null) {
    if (!create) return undefined
    byProp = new Map()
    store.set(target, byProp)
  }
  let b = byProp.get(prop)
  if (b == null && create) { b = new Map(); byProp.set(prop, b) }
  return b
}

const R = Reflect as unknown as Record<string, unknown>
if (typeof R.getMetadata !== 'function') {
  const getOwnMetadata = (key: unknown, target: object, prop?: string | symbol): unknown => bag(target, prop, false)?.get(key)
  const getMetadata = (key: unknown, target: object, prop?: string | symbol): unknown => {
    for (let t: object | null = target; t != null; t = Object.getPrototypeOf(t) as object | null) {
      const b = bag(t, prop, false)
      if (b?.has(key) === true) return b.get(key)
    }
    return undefined
  }
  const defineMetadata = (key: unknown, value: unknown, target: object, prop?: string | symbol): void => { bag(target, prop, true)?.set(key, value) }
  R.getOwnMetadata = getOwnMetadata
  R.getMetadata = getMetadata
  R.defineMetadata = defineMetadata
  R.hasMetadata = (key: unknown, target: object, prop?: string | symbol): boolean => getMetadata(key, target, prop) !== undefined
  R.hasOwnMetadata = (key: unknown, target: object, prop?: string | symbol): boolean => bag(target, prop, false)?.has(key) === true
  R.metadata = (key: unknown, value: unknown) => (target: object, prop?: string | symbol): void => { defineMetadata(key, value, target, prop) }
}

export {}
