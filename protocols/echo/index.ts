/** echo (`/trustmesh/echo/1.0.0`): the bare request/response baseline of a verified connection. */
export * from './messages.js'
export { createEchoHandler } from './handler.js'
export { sendEcho } from './client.js'
