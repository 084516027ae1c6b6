/** Mocha setup: the Promise.withResolvers polyfill must be loaded before any libp2p module. */
import '../node/polyfill.js'
