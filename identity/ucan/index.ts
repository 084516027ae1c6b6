/**
 * UCAN delegation for trustmesh: tokens (UCAN 0.10 JWT profile), CIDs, capabilities and caveats,
 * chain validation with a warm cache, and signed revocation records. Pure: no network, no storage.
 */
export * from './errors.js'
export * from './cid.js'
export * from './caveats.js'
export * from './capability.js'
export * from './token.js'
export * from './chain-cache.js'
export * from './chain-graph.js'
export * from './validate-chain.js'
export * from './revocation.js'
