#!/usr/bin/env bash
# `crossq sweep run --backend slurm` against a real Slurm (docs/sweeps.md): starts munged,
# slurmctld and slurmd for one node on localhost in a temporary folder, on ports of its own, and
# stops them at the end. Then:
#   1. a sweep of 4 short pendulum runs is submitted and waited for; every run folder is
#      complete, `crossq report` reads the result, and a second submission submits nothing;
#   2. a sweep of 2 runs: one array task is requeued while it runs (`scontrol requeue`, as a
#      preemption does), the other is sent the time-limit signal (SIGUSR1 to its batch shell,
#      as `--signal=B:USR1@300` does) and requeues itself; both resume from their checkpoints
#      and their eval.csv and train.csv equal an uninterrupted local sweep's (one thread);
#   3. a sweep is cancelled (`scancel`) and `crossq sweep status` says "cancelled", exit 4.
# Exits 77 (ctest: skipped, with the reason printed) only where Slurm cannot be started here:
# not root, or the Debian packages slurm-wlm and munge are missing.
#
#   tests/slurm/slurm_test.sh CROSSQ_BINARY
set -euo pipefail
crossq=$(readlink -f "${1:?usage: slurm_test.sh CROSSQ_BINARY}")
skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "starting slurmd needs root (run the suite as root, as CI does)"
for b in munged mungekey slurmctld slurmd sbatch squeue scontrol scancel; do
  command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] ||
    skip "$b is missing: install Debian's slurm-wlm and munge (scripts/install-deps.sh installs them)"
done
export PATH="$PATH:/usr/sbin"

t=$(mktemp -d /tmp/crossq-slurm.XXXXXX)
port=$((20000 + $$ % 20000))
host=$(hostname -s)
export SLURM_CONF=$t/slurm.conf
fail() { echo "FAIL: $*"; for f in "$t"/log/*.log; do echo "--- $f"; tail -n 20 "$f"; done; exit 1; }
cleanup() {
  set +e
  scancel --full --quiet --user=root 2>/dev/null
  for _ in $(seq 1 30); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 1; done
  for p in slurmd slurmctld munge/munged; do
    [ -f "$t/$p.pid" ] && kill "$(cat "$t/$p.pid")" 2>/dev/null
  done
  sleep 1
  for p in slurmd slurmctld munge/munged; do
    [ -f "$t/$p.pid" ] && kill -9 "$(cat "$t/$p.pid")" 2>/dev/null
  done
  rm -rf "$t"
}
trap cleanup EXIT

# ---- the cluster: munge with a key of its own, one controller, one node
mkdir -p "$t/munge" "$t/state" "$t/spool" "$t/log" "$t/work"
chmod 755 "$t" "$t/munge"
mungekey -c -k "$t/munge/munge.key" -b 1024
chmod 600 "$t/munge/munge.key"
munged -f --key-file="$t/munge/munge.key" --socket="$t/munge/munge.socket" --pid-file="$t/munge/munged.pid" \
  --log-file="$t/log/munged.log" --seed-file="$t/munge/munged.seed" || fail "munged did not start"
cat >"$SLURM_CONF" <<EOF
ClusterName=crossqtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$t/munge/munge.socket
CredType=cred/munge
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$t/state
SlurmdSpoolDir=$t/spool
SlurmctldPidFile=$t/slurmctld.pid
SlurmdPidFile=$t/slurmd.pid
SlurmctldLogFile=$t/log/slurmctld.log
SlurmdLogFile=$t/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
JobRequeue=1
KillWait=120
MinJobAge=3600
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
for i in $(seq 1 60); do
  sinfo -h -o %T 2>/dev/null | grep -qE "^idle" && break
  [ "$i" = 60 ] && fail "the node did not come up in 60 s"
  sleep 1
done
echo "slurm: one node $host with $(nproc) CPUs on port $port"
cd "$t/work"

# waits until `crossq sweep status FILE` exits 0 (every run done), at most $2 seconds
wait_done() {
  for _ in $(seq 1 "$2"); do
    "$crossq" sweep status "$1" >/dev/null 2>&1 && return 0
    sleep 1
  done
  "$crossq" sweep status "$1" || true
  fail "$1 did not finish in $2 s"
}
job_of() { sed -n 's/^submitted job \([0-9][0-9]*\):.*/\1/p'; }
strip_eval() { cut -d, -f1-9 "$1"; }
strip_train() { cut -d, --complement -f9 "$1"; }  # the sps column is the only wall-clock one
small='"critic_hidden": 64, "actor_hidden": 64, "eval_episodes": 2'

# ---- 0. a partition the cluster does not have: sbatch's refusal, named, exit 2, nothing recorded
cat >bad.json <<EOF
{"out": "bad", "tasks": ["pendulum"], "algos": ["sac"], "seeds": [0], "resources": {"partition": "nosuch"}}
EOF
set +e
msg=$("$crossq" sweep run bad.json --backend slurm 2>&1)
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "sbatch refused" <<<"$msg" && grep -qi "partition" <<<"$msg" ||
  fail "a bad partition gave exit $rc: $msg"
[ ! -f bad/.sweep/slurm.json ] || fail "a refused submission was recorded"
echo "ok 0: sbatch's refusal of a bad partition is named, exit 2: $msg"

# ---- 1. four runs, submitted, finished, reported; a second submission submits nothing
cat >four.json <<EOF
{"out": "four", "tasks": ["pendulum"], "algos": ["crossq-wn", "sac"], "seeds": "0-1",
 "settings": {"steps": 3000, "eval_every": 1000, $small}, "resources": {"cores": 1}}
EOF
out=$("$crossq" sweep run four.json --backend slurm)
echo "$out"
job=$(echo "$out" | job_of)
[ -n "$job" ] || fail "no job id in: $out"
wait_done four.json 300
n=0
while IFS= read -r d; do
  grep -q '^3000,' "$d/eval.csv" || fail "$d/eval.csv does not reach env step 3000"
  [ -f "$d/config.json" ] && [ -f "$d/train.csv" ] || fail "$d is not a complete run folder"
  n=$((n + 1))
done < <(find four -mindepth 3 -maxdepth 3 -type d -name 'seed*')
[ "$n" = 4 ] || fail "four.json made $n run folders, not 4"
[ "$(ls four/.sweep/logs | wc -l)" = 4 ] || fail "not one log per array task in four/.sweep/logs"
"$crossq" report four --out four-report >/dev/null || fail "crossq report cannot read the sweep's folders"
grep -q '"crossq-wn' four-report/summary.json || fail "the report does not hold crossq-wn"
again=$("$crossq" sweep run four.json --backend slurm)
echo "$again" | grep -q "nothing to submit" || fail "a second submission of a finished sweep submitted: $again"
echo "ok 1: 4 runs as job $job, all done, reported; a second submission submits nothing"

# ---- 2. requeue (preemption) and the time-limit signal; both equal an uninterrupted sweep
cat >two.json <<EOF
{"out": "two", "tasks": ["pendulum"], "algos": ["crossq-wn"], "seeds": [7, 8],
 "settings": {"steps": 12000, "eval_every": 2000, $small}, "resources": {"cores": 1}}
EOF
sed 's/"out": "two"/"out": "two-ref"/' two.json >two-ref.json
job=$("$crossq" sweep run two.json --backend slurm | job_of)
[ -n "$job" ] || fail "two.json was not submitted"
rows() { local f; f=$(find two -path "*/seed$1/train.csv" 2>/dev/null | head -1); [ -n "$f" ] && wc -l <"$f" || echo 0; }
for i in $(seq 1 120); do
  [ "$(rows 7)" -ge 3 ] && [ "$(rows 8)" -ge 3 ] && break
  [ "$i" = 120 ] && fail "the runs of two.json did not log two rows in 120 s"
  sleep 1
done
scontrol requeue "${job}_0" || fail "scontrol requeue ${job}_0 failed"
scancel --batch --signal=USR1 "${job}_1" || fail "could not send SIGUSR1 to ${job}_1's batch shell"
# a requeued task waits two minutes before it may start again; let it start now. Not at
# once: slurmd refuses a credential issued in the same second as the requeue revoked the old
# one ("Job credential revoked") and fails the task, so each task waits 3 s pending first.
pending=(0 0)
for i in $(seq 1 60); do
  for k in 0 1; do
    st=$(squeue -h -j "${job}_$k" -o %T 2>/dev/null || true)
    if [ "$st" = PENDING ]; then pending[k]=$((pending[k] + 1)); else pending[k]=0; fi
    [ "${pending[k]}" -ge 3 ] && scontrol update jobid="${job}_$k" StartTime=now 2>/dev/null || true
  done
  grep -q "restart 1" two/.sweep/logs/*_0.out 2>/dev/null && grep -q "restart 1" two/.sweep/logs/*_1.out 2>/dev/null && break
  [ "$i" = 60 ] && { cat two/.sweep/logs/*; fail "the requeued tasks did not start again"; }
  sleep 1
done
wait_done two.json 300
for k in 0 1; do
  log=$(ls two/.sweep/logs/*_$k.out)
  grep -q "resuming at env step" "$log" || { cat "$log"; fail "task $k did not resume from its checkpoint"; }
done
grep -q "time limit near: checkpoint written, requeueing" two/.sweep/logs/*_1.out ||
  { cat two/.sweep/logs/*_1.out; fail "task 1 did not requeue itself after SIGUSR1"; }
"$crossq" sweep run two-ref.json --backend local --jobs 2 --quiet
for s in 7 8; do
  a=$(find two -type d -name "seed$s") b=$(find two-ref -type d -name "seed$s")
  diff <(strip_eval "$a/eval.csv") <(strip_eval "$b/eval.csv") || fail "seed $s: eval.csv differs from the uninterrupted run's"
  diff <(strip_train "$a/train.csv") <(strip_train "$b/train.csv") || fail "seed $s: train.csv differs from the uninterrupted run's"
done
echo "ok 2: a requeued task and a task at its time limit resumed; both equal the uninterrupted runs"

# ---- 3. a cancelled sweep
cat >long.json <<EOF
{"out": "long", "tasks": ["pendulum"], "algos": ["crossq-wn"], "seeds": "0-2",
 "settings": {"steps": 200000, $small}, "resources": {"cores": 1}}
EOF
job=$("$crossq" sweep run long.json --backend slurm | job_of)
[ -n "$job" ] || fail "long.json was not submitted"
for i in $(seq 1 60); do
  st=$("$crossq" sweep status long.json 2>/dev/null || true)  # exit 4 while unfinished
  grep -q "^  running" <<<"$st" && break
  [ "$i" = 60 ] && fail "no run of long.json started in 60 s"
  sleep 1
done
scancel "$job"
for i in $(seq 1 60); do
  [ -z "$(squeue -h -j "$job" -o %T 2>/dev/null | grep -vE '^CANCELLED$' || true)" ] && break
  [ "$i" = 60 ] && fail "job $job was not cancelled in 60 s"
  sleep 1
done
set +e
status=$("$crossq" sweep status long.json)
rc=$?
set -e
echo "$status"
[ "$rc" = 4 ] || fail "status of a cancelled sweep exited $rc, not 4 (unfinished)"
[ "$(echo "$status" | grep -c '^  cancelled')" = 3 ] || fail "status does not say cancelled for all 3 runs"
echo "ok 3: a cancelled sweep's status says cancelled and exits 4"
