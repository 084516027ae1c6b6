/** hello (`/trustmesh/hello/1.0.0`): messages, limits, the check, the listening handler and the dialling client. */
export * from './messages.js'
export { verifyHello, HelloErrorCode, type EnrolledOrgView, type VerifiedHello, type VerifyHelloOptions } from './verify.js'
export { handleHello, type HelloComponents, type HelloOutcome } from './handler.js'
export { requestHello, type HelloDialOutcome } from './client.js'
