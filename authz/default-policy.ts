/**
 * The policy `trustmesh init` writes. Default deny; reads for our own agents and for partners that
 * are at least probationary; a few ordinary writes at ring 2 for partners that are at least standard;
 * high-impact abilities at ring 1 always wait for a human. Never allow-all.
 */

export const DEFAULT_POLICY_FILE = 'policy.yaml'

export const DEFAULT_POLICY_YAML = `# trustmesh default policy, written by \`trustmesh init\`.
#
# Default deny: whatever no rule below allows is refused. A child policy
# (\`extends: [policy.yaml]\`) may only tighten this one: the node refuses to
# load a child that would allow what this denies or set a looser default.
version: 1
name: default
default: deny

# Ability -> ring required to use it. Lower number = more privilege:
#   0 node administration (never held by an agent)
#   1 irreversible or high impact
#   2 ordinary writes
#   3 read-only
# The most specific entry wins; on a tie the more privileged ring is required.
# An ability with no entry is denied. Quote patterns with '*': in YAML a bare
# '*' starts an alias.
rings:
  "*/read": 3
  records/write: 2
  orders/create: 2
  tasks/run: 2
  "payments/*": 1
  "*/delete": 1

rules:
  # Our own agents may read.
  - id: read-self
    effect: allow
    match:
      ability: "*/read"
      callerOrg: self

  # Partner organisations may read once at least probationary (trust >= 300).
  - id: read-partners
    effect: allow
    match:
      ability: "*/read"
      callerOrg: partner
      trust: { min: 300 }

  # Ordinary writes for our own agents at ring 2 or better.
  - id: write-self
    effect: allow
    match:
      ability: [records/write, orders/create, tasks/run]
      callerOrg: self
      ring: { max: 2 }

  # Ordinary writes for partners at ring 2 or better and at least standard trust (>= 500).
  - id: write-partners
    effect: allow
    match:
      ability: [records/write, orders/create, tasks/run]
      callerOrg: partner
      ring: { max: 2 }
      trust: { min: 500 }

  # High-impact abilities (ring 1) always wait for a human approval.
  - id: approve-high-impact-self
    effect: require_approval
    reason: high-impact action needs a human approval
    match:
      ability: ["payments/*", "*/delete"]
      callerOrg: self
      ring: { max: 1 }

  - id: approve-high-impact-partners
    effect: require_approval
    reason: high-impact action needs a human approval
    match:
      ability: ["payments/*", "*/delete"]
      callerOrg: partner
      ring: { max: 1 }
      trust: { min: 500 }
`
