/** Assembles the command tree: nouns are groups, each verb registers itself from its own file. */
import { Command } from 'commander'
import { register as init } from './commands/init.js'
import { register as identityShow } from './commands/identity/show.js'
import { register as identityExport } from './commands/identity/export.js'
import { register as identityRotate } from './commands/identity/rotate.js'
import { register as credentialVerify } from './commands/credential/verify.js'
import { register as nodeStart } from './commands/node/start.js'
import { register as nodeStatus } from './commands/node/status.js'
import { register as nodeWait } from './commands/node/wait.js'
import { register as peerAdd } from './commands/peer/add.js'
import { register as peerList } from './commands/peer/list.js'
import { register as peerRemove } from './commands/peer/remove.js'
import { register as peerTrust } from './commands/peer/trust.js'
import { register as agentCreate } from './commands/agent/create.js'
import { register as agentList } from './commands/agent/list.js'
import { register as agentRemove } from './commands/agent/remove.js'
import { register as agentKeygen } from './commands/agent/keygen.js'
import { register as delegationGrant } from './commands/delegation/grant.js'
import { register as delegationList } from './commands/delegation/list.js'
import { register as delegationShow } from './commands/delegation/show.js'
import { register as delegationRevoke } from './commands/delegation/revoke.js'
import { register as taskSend } from './commands/task/send.js'
import { register as taskList } from './commands/task/list.js'
import { register as trustShow } from './commands/trust/show.js'
import { register as trustList } from './commands/trust/list.js'
import { register as trustExplain } from './commands/trust/explain.js'
import { register as trustForgive } from './commands/trust/forgive.js'
import { register as auditShow } from './commands/audit/show.js'
import { register as auditVerify } from './commands/audit/verify.js'
import { register as auditProof } from './commands/audit/proof.js'
import { register as auditExport } from './commands/audit/export.js'
import { register as auditCheckpoint } from './commands/audit/checkpoint.js'
import { register as auditWitness } from './commands/audit/witness.js'
import { register as policyShow } from './commands/policy/show.js'
import { register as policyCheck } from './commands/policy/check.js'
import { register as policyLoad } from './commands/policy/load.js'
import { register as approvalList } from './commands/approval/list.js'
import { register as approvalShow } from './commands/approval/show.js'
import { registerApprove as approvalApprove, registerDeny as approvalDeny } from './commands/approval/decide.js'
import { register as approvalKeygen } from './commands/approval/keygen.js'
import { register as approverAdd } from './commands/approval/approver/add.js'
import { register as approverRemove } from './commands/approval/approver/remove.js'
import { register as approverList } from './commands/approval/approver/list.js'
import { register as ringElevate } from './commands/ring/elevate.js'
import { register as ringList } from './commands/ring/list.js'
import { register as taskStatus } from './commands/task/status.js'
import { register as doctor } from './commands/doctor.js'
import { register as sagaRun } from './commands/saga/run.js'
import { register as sagaShow } from './commands/saga/show.js'
import { register as sagaList } from './commands/saga/list.js'
import { register as sagaCancel } from './commands/saga/cancel.js'
import { register as mcpServe } from './commands/mcp/serve.js'
import { register as a2aServe } from './commands/a2a/serve.js'
import { register as a2aForward } from './commands/a2a/forward.js'

export const VERSION = '0.1.0'

export function buildProgram (): Command {
  const program = new Command('trustmesh')
    .description('trust mesh for AI agents across organisations')
    .version(VERSION)
    .option('-d, --data-dir <dir>', 'data directory of the organisation (default: TRUSTMESH_DATA_DIR or ./.trustmesh)')
    .option('--json', 'machine-readable output')
    .option('--wide', 'tables show every field in full (default: fit 100 columns)')
    .showHelpAfterError(false)
    .exitOverride()
  program.configureOutput({ writeErr: (s) => { process.stderr.write(s.startsWith('error:') ? `trustmesh: ${s.slice(7)}` : s) } })

  const group = (name: string, description: string): Command => {
    const c = program.command(name).description(description).exitOverride()
    return c
  }
  init(program)
  doctor(program)
  mcpServe(program)
  const identity = group('identity', 'this organisation\'s identity')
  for (const r of [identityShow, identityExport, identityRotate]) r(identity)
  credentialVerify(group('credential', 'verify credentials'))
  const node = group('node', 'run and inspect this organisation\'s node')
  nodeStart(node)
  nodeStatus(node)
  nodeWait(node)
  const peer = group('peer', 'enrol and manage partner organisations')
  for (const r of [peerAdd, peerList, peerRemove, peerTrust]) r(peer)
  const agent = group('agent', 'agents hosted by this node')
  for (const r of [agentKeygen, agentCreate, agentList, agentRemove]) r(agent)
  const delegation = group('delegation', 'delegation chains between agents')
  for (const r of [delegationGrant, delegationList, delegationShow, delegationRevoke]) r(delegation)
  const task = group('task', 'tasks across organisations')
  for (const r of [taskSend, taskList]) r(task)
  const trust = group('trust', 'trust scores of partner orgs and their agents')
  for (const r of [trustShow, trustList, trustExplain, trustForgive]) r(trust)
  const audit = group('audit', 'the tamper-evident log of every decision')
  for (const r of [auditShow, auditVerify, auditProof, auditExport, auditCheckpoint, auditWitness]) r(audit)
  const policy = group('policy', 'the node\'s policy: show, check a request, load')
  for (const r of [policyShow, policyCheck, policyLoad]) r(policy)
  const approval = group('approval', 'tasks waiting for a human decision')
  for (const r of [approvalList, approvalShow, approvalApprove, approvalDeny, approvalKeygen]) r(approval)
  const approver = approval.command('approver').description('named approvers: people who hold their own keys and may approve').exitOverride()
  for (const r of [approverAdd, approverRemove, approverList]) r(approver)
  const ring = group('ring', 'privilege rings: time-limited elevations')
  for (const r of [ringElevate, ringList]) r(ring)
  taskStatus(task)
  const saga = group('saga', 'sagas across organisations: steps undone in reverse when one fails')
  for (const r of [sagaRun, sagaShow, sagaList, sagaCancel]) r(saga)
  const a2a = group('a2a', 'A2A edges of one agent: send to mesh agents over A2A, or receive mesh tasks as an A2A server')
  for (const r of [a2aServe, a2aForward]) r(a2a)
  return program
}
