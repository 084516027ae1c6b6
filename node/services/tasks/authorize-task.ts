/** Rule 8 at the executing node now lives in the authorisation core (authz/authorize-task.ts). */
export { authorizeTask } from '../../../authz/authorize-task.js'
export type { AuthzInput, AuthzDecision, CarriedContext, CaveatMiss } from '../../../authz/authorize-task.js'
