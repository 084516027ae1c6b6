/** `trustmesh doctor`: the node's security posture as findings (what is wrong, how to fix it). */
export { runDoctor, type DoctorOptions, type DoctorReport, type NodeRequest } from './doctor.js'
export { allowAllProbes, NEAR_EXPIRY_SECONDS, type Finding, type Severity } from './checks.js'
export { ipScope, multiaddrScope, isLanScope, type AddressScope } from './address-ranges.js'
