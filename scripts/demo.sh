#!/usr/bin/env bash
# trustmesh demo: three organisations as real node processes on loopback.
#   acme (A), globex (B) and initech (C) enrol each other; agents are created; a task crosses two
#   boundaries (A -> B -> C) and completes; a task is refused at a hop with its reason; a task that
#   needs approval is held, approved by an operator and completed; trust scores are queried; the
#   audit log is verified and exported as an evidence bundle that verifies on its own.
# Run with `npm run demo` (builds first). Cleans up after itself, also when interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TM="node $ROOT/dist/cli/main.js"
AGENT="node $ROOT/dist/scripts/example-agent.js"
[ -f "$ROOT/dist/cli/main.js" ] || { echo "demo: run 'npm run build' first (or: npm run demo)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/tmdemo-XXXXXX)
export TRUSTMESH_PASSPHRASE="demo-passphrase-$$"
export TRUSTMESH_TRUST_INTERVAL_MS=${TRUSTMESH_TRUST_INTERVAL_MS:-2000}
BASE=$(( 42000 + ($$ % 2000) * 3 ))
PIDS=()
cleanup () {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

step () { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run () { printf '$ %s\n' "$*" | sed "s#$WORK/##g; s#node $ROOT/dist/cli/main.js#trustmesh#g"; "$@"; }
json () { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=v?.[k];process.stdout.write(String(v))})' "$1"; }
wait_for () { # wait_for <seconds> <description> <command...>
  local t=$1 what=$2; shift 2
  for _ in $(seq 1 $((t * 5))); do if "$@" >/dev/null 2>&1; then return 0; fi; sleep 0.2; done
  echo "demo: timed out waiting for $what" >&2; return 1
}

step "1. three organisations, one private network (shared swarm key)"
$TM -d "$WORK/acme" init --org-name acme >/dev/null
$TM -d "$WORK/globex" init --org-name globex --swarm-key "$WORK/acme/swarm.key" >/dev/null
$TM -d "$WORK/initech" init --org-name initech --swarm-key "$WORK/acme/swarm.key" >/dev/null
# globex and initech let partners create orders and cancel them (the undo of a saga step)
for o in globex initech; do
  sed -i 's#^  orders/create: 2#  orders/create: 2\n  orders/cancel: 2#' "$WORK/$o/policy.yaml"
  printf '\n  - id: orders-partners\n    effect: allow\n    match:\n      ability: [orders/create, orders/cancel]\n      callerOrg: partner\n' >> "$WORK/$o/policy.yaml"
done
i=0
for o in acme globex initech; do
  port=$((BASE + i)); i=$((i + 1))
  $TM -d "$WORK/$o" node start --listen "/ip4/127.0.0.1/tcp/$port" --no-mdns --log-level warn > "$WORK/$o.log" 2>&1 &
  PIDS+=($!)
done
for o in acme globex initech; do wait_for 20 "$o to start" $TM -d "$WORK/$o" node status; done
A=$($TM -d "$WORK/acme" --json identity show | json orgDid)
B=$($TM -d "$WORK/globex" --json identity show | json orgDid)
C=$($TM -d "$WORK/initech" --json identity show | json orgDid)
echo "acme    $A"; echo "globex  $B"; echo "initech $C"

step "2. enrolment: each operator names its partners' org DIDs (max ring 1 for globex at acme)"
run $TM -d "$WORK/acme" peer add "$B" --addr "/ip4/127.0.0.1/tcp/$((BASE + 1))" --name globex --max-ring 1 --pre-trusted
run $TM -d "$WORK/acme" peer add "$C" --addr "/ip4/127.0.0.1/tcp/$((BASE + 2))" --name initech --pre-trusted
run $TM -d "$WORK/globex" peer add "$A" --addr "/ip4/127.0.0.1/tcp/$BASE" --name acme --max-ring 2 --pre-trusted
run $TM -d "$WORK/globex" peer add "$C" --addr "/ip4/127.0.0.1/tcp/$((BASE + 2))" --name initech --pre-trusted
run $TM -d "$WORK/initech" peer add "$A" --addr "/ip4/127.0.0.1/tcp/$BASE" --name acme --max-ring 2 --pre-trusted
run $TM -d "$WORK/initech" peer add "$B" --addr "/ip4/127.0.0.1/tcp/$((BASE + 1))" --name globex --pre-trusted
connected () { [ "$($TM -d "$WORK/$1" --json peer list | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).filter(p=>p.connected).length))')" = "2" ]; }
for o in acme globex initech; do wait_for 30 "$o to connect to both partners" connected $o; done
run $TM -d "$WORK/acme" peer list

step "3. agents: each gets a key, an AgentCredential (ring) and its org's root delegation"
ALICE=$($TM -d "$WORK/acme" --json agent create alice --ring 1 --can records/read --can payments/transfer | json did)
TREASURER=$($TM -d "$WORK/acme" --json agent create treasurer --ring 1 --can payments/transfer | json did)
BOB=$($TM -d "$WORK/globex" --json agent create bob --ring 1 --can reports/write | json did)
CAROL=$($TM -d "$WORK/initech" --json agent create carol --ring 2 --can records/read | json did)
INTERN=$($TM -d "$WORK/initech" --json agent create intern --ring 3 --can records/read | json did)
run $TM -d "$WORK/acme" agent list
# the agents' own processes answer tasks through their node's control API
$AGENT --data-dir "$WORK/initech" --agent carol --can records/read > "$WORK/carol.log" 2>&1 & PIDS+=($!)
$AGENT --data-dir "$WORK/globex" --agent bob --can records/read --forward-to "$CAROL" > "$WORK/bob.log" 2>&1 & PIDS+=($!)
$AGENT --data-dir "$WORK/acme" --agent treasurer --can payments/transfer > "$WORK/treasurer.log" 2>&1 & PIDS+=($!)
sleep 1

step "4. delegation chain: acme/alice -> globex/bob -> initech/carol (each link attenuates)"
CID1=$($TM -d "$WORK/acme" delegation grant --from alice --to "$BOB" --can records/read --with "tm:$A/records" --ttl 1h | head -1)
echo "alice -> bob: $CID1"
CID2=$($TM -d "$WORK/globex" delegation grant --from bob --to "$CAROL" --can records/read --with "tm:$A/records/42" --ttl 30m | head -1)
echo "bob -> carol: $CID2"
run $TM -d "$WORK/initech" delegation show "$CID2"

step "5. a task across two boundaries: alice asks bob (globex), bob's agent passes it on to carol (initech)"
run $TM -d "$WORK/acme" task send --as alice --to "$BOB" --can records/read --with "tm:$A/records/42" --args '{"query":"balance"}'

step "6. refused at a hop: initech's ring-3 intern asks acme's treasurer for a ring-1 payment"
CID3=$($TM -d "$WORK/acme" delegation grant --from alice --to "$INTERN" --can payments/transfer --with "tm:$A/payments" --ttl 1h | head -1)
set +e
run $TM -d "$WORK/initech" task send --as intern --to "$TREASURER" --can payments/transfer --with "tm:$A/payments/7" --args '{"amount":100}'
echo "(exit code $?: refused at acme's node, reason above)"
set -e

step "7. human approval: acme's alice asks acme's treasurer for a ring-1 payment; the policy holds it"
if $TM approval --help >/dev/null 2>&1; then
  run $TM -d "$WORK/acme" task send --as alice --to "$TREASURER" --can payments/transfer --with "tm:$A/payments/9" --args '{"amount":250}' || true
  ID=$($TM -d "$WORK/acme" --json approval list | json 0.id)
  run $TM -d "$WORK/acme" approval show "$ID"
  # an approver holds their own key: the node never sees it, and the org key approves nothing by default
  run $TM approval keygen --out "$WORK/treasurer.jwk"
  TDID=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).kid)' "$WORK/treasurer.jwk")
  run $TM -d "$WORK/acme" approval approver add treasurer --did "$TDID" --role treasurer
  run $TM -d "$WORK/acme" approval approve "$ID" --key "$WORK/treasurer.jwk" --reason "quarterly payment, invoice checked"
  run $TM -d "$WORK/acme" task list --limit 3
else
  echo "(this build has no approval queue)"
fi

step "8. trust: receipts are evidence; attestations are gossiped; EigenTrust from the pre-trusted set"
sleep 3
for o in acme globex initech; do run $TM -d "$WORK/$o" trust list; done
run $TM -d "$WORK/acme" trust show "$B"

step "8b. a saga: alice orders at globex, then initech, then globex; the last step fails and the first two are undone"
ALICE2=$($TM -d "$WORK/acme" --json agent create buyer --ring 2 --can orders/create | json did)
SHIP=$($TM -d "$WORK/globex" --json agent create shipper --ring 2 --can orders/create --can orders/cancel | json did)
BILL=$($TM -d "$WORK/initech" --json agent create billing --ring 2 --can orders/create --can orders/cancel | json did)
$TM -d "$WORK/globex" delegation grant --from shipper --to "$ALICE2" --can orders/create --with "tm:$B/orders" --ttl 1h >/dev/null
$TM -d "$WORK/initech" delegation grant --from billing --to "$ALICE2" --can orders/create --with "tm:$C/orders" --ttl 1h >/dev/null
$AGENT --data-dir "$WORK/globex" --agent shipper --can orders/create --can orders/cancel --fail-on fail > "$WORK/shipper.log" 2>&1 & PIDS+=($!)
$AGENT --data-dir "$WORK/initech" --agent billing --can orders/create --can orders/cancel --fail-on fail > "$WORK/billing.log" 2>&1 & PIDS+=($!)
sleep 1
cat > "$WORK/saga.yaml" <<YAML
name: order-with-shipping
deadlineSeconds: 120
steps:
  - id: reserve
    to: $SHIP
    ability: orders/create
    resource: tm:$B/orders
    args: { item: crate-7 }
    compensate: { ability: orders/cancel, args: { order: "\${output.args.item}" } }
  - id: invoice
    to: $BILL
    ability: orders/create
    resource: tm:$C/orders
    args: { amount: 120 }
    compensate: { ability: orders/cancel, args: { amount: "\${output.args.amount}" } }
  - id: ship
    to: $SHIP
    ability: orders/create
    resource: tm:$B/orders
    args: { item: crate-7, fail: true }
    compensate: { ability: orders/cancel }
YAML
set +e
run $TM -d "$WORK/acme" saga run "$WORK/saga.yaml" --as buyer
echo "(exit code $?: the saga was compensated; invoice then reserve were undone at initech and globex)"
set -e
run $TM -d "$WORK/acme" saga list

step "9. revocation: acme revokes alice -> bob; the same chain is now refused at every hop"
run $TM -d "$WORK/acme" delegation revoke "$CID1" --reason "demo: access withdrawn"
sleep 2
set +e
run $TM -d "$WORK/globex" task send --as bob --to "$CAROL" --can records/read --with "tm:$A/records/42" --proof "$CID1"
echo "(exit code $?)"
set -e

step "10. audit: every decision was logged before it took effect; peers cosign checkpoints"
run $TM -d "$WORK/initech" audit checkpoint
run $TM -d "$WORK/initech" audit verify
run $TM -d "$WORK/initech" audit export "$WORK/bundle"
run $TM audit verify --bundle "$WORK/bundle"
printf 'x' | dd of="$WORK/bundle/checkpoint.txt" bs=1 seek=5 count=1 conv=notrunc 2>/dev/null
set +e
run $TM audit verify --bundle "$WORK/bundle"
echo "(exit code $?: one changed byte is caught)"
set -e

step "done: stopping the nodes and removing $WORK"
