#!/usr/bin/env bash
# Tests the Slurm path for real on this machine: installs Debian's munge, slurmctld, slurmd and slurm-client (apt),
# starts munged, slurmctld and slurmd with a minimal slurm.conf naming the local host (in a private folder, on
# private ports), submits deploy/slurm/test-spec.json as a job array of shards plus the merge job
# (deploy/slurm/submit.sh), waits, and compares the merged sweep.csv and sweep.json byte for byte with a
# single-machine run of the same spec. The daemons it started are stopped by PID at the end.
#
# Needs root and apt (as on the project's machines and in CI). A missing prerequisite is a failure, never a skip.
# Environment: ANTOUM (simulator command, default ./antoum), SHARDS (default 3), KEEP=1 keeps the work folder.
# Last line: "slurm-local-test: PASS" or "slurm-local-test: FAIL: reason"; exit code 0 only on PASS.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ANTOUM="${ANTOUM:-$repo/antoum}"
export ANTOUM_REPO="$repo"
shards="${SHARDS:-3}"
work="$(mktemp -d /tmp/antoum-slurm-test.XXXXXX)"
chmod 755 "$work"
pids=()

say() { echo "slurm-local-test: $*"; }
fail() {
  say "FAIL: $*"
  for log in "$work"/slurmctld.log "$work"/slurmd.log "$work"/munged.log "$work"/out/*.out; do
    [ -f "$log" ] && { echo "--- $log (last 15 lines)"; tail -n 15 "$log"; }
  done
  exit 1
}
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  [ "${KEEP:-0}" = 1 ] && say "work folder kept: $work" || rm -rf "$work"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || fail "needs root (apt-get install and the Slurm daemons)"
command -v apt-get >/dev/null || fail "apt-get not found (Debian packages munge, slurmctld, slurmd, slurm-client are needed)"

# 1. Debian's packages. Services are not started by the package scripts (policy-rc.d); this script starts its own.
need=()
for b in munged slurmctld slurmd sbatch; do command -v "$b" >/dev/null || need+=("$b"); done
if [ "${#need[@]}" -gt 0 ]; then
  say "installing munge slurmctld slurmd slurm-client (missing: ${need[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq >"$work/apt.log" 2>&1 || fail "apt-get update failed: $(tail -n 3 "$work/apt.log")"
  had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  [ "$had_policy" = 1 ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends munge slurmctld slurmd slurm-client >>"$work/apt.log" 2>&1
  status=$?
  [ "$had_policy" = 1 ] || rm -f /usr/sbin/policy-rc.d
  [ "$status" = 0 ] || fail "apt-get install failed: $(tail -n 3 "$work/apt.log")"
fi
for b in munged munge slurmctld slurmd sbatch squeue; do command -v "$b" >/dev/null || fail "$b not found after installing the packages"; done
say "$(slurmctld -V), $(munged -V 2>&1 | head -n 1)"

# 2. The simulator (built once here so the job tasks do not race to build it).
$ANTOUM --version >/dev/null 2>&1 || $ANTOUM --help >/dev/null || fail "the simulator does not start: $ANTOUM"

# 3. munge: a fresh key and a private socket.
mkdir -p "$work/munge"
chown munge:munge "$work/munge" 2>/dev/null || fail "no 'munge' user (the munge package creates it)"
chmod 711 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chown munge:munge "$work/munge/munge.key"; chmod 400 "$work/munge/munge.key"
socket="$work/munge/munge.socket"
runuser -u munge -- munged --foreground --socket="$socket" --key-file="$work/munge/munge.key" \
  --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munged.seed" --log-file="$work/munged.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || fail "munged did not start"
munge --socket="$socket" -n | unmunge --socket="$socket" >/dev/null || fail "munge credential round trip failed"

# 4. A minimal slurm.conf for this host (free ports, state in the work folder).
host="$(hostname -s)"
port=$(( 20000 + RANDOM % 20000 ))
cpus="$(nproc)"
mkdir -p "$work/state" "$work/spool" "$work/out"
conf="$work/slurm.conf"
cat >"$conf" <<CONF
ClusterName=antoumtest
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${port}
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=${socket}
CredType=cred/munge
StateSaveLocation=${work}/state
SlurmdSpoolDir=${work}/spool
SlurmctldPidFile=${work}/slurmctld.pid
SlurmdPidFile=${work}/slurmd.pid
SlurmctldLogFile=${work}/slurmctld.log
SlurmdLogFile=${work}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN
PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
slurmctld -D -i -f "$conf" >>"$work/slurmctld.log" 2>&1 &
pids+=($!)
slurmd -D -f "$conf" >>"$work/slurmd.log" 2>&1 &
pids+=($!)
ready=0
for _ in $(seq 120); do
  state="$(sinfo -h -n "$host" -o %t 2>/dev/null | head -n 1)"
  case "$state" in idle|mix|alloc) ready=1; break ;; esac
  sleep 0.5
done
[ "$ready" = 1 ] || fail "the node did not come up (sinfo state '${state:-none}')"
say "single-node Slurm up: $(sinfo -h -o '%P %D %c %t' | head -n 1)"

# 5. The sweep as a job array of $shards shards plus the merge job, then wait for both.
spec="$repo/deploy/slurm/test-spec.json"
start=$(date +%s)
submitted="$("$repo/deploy/slurm/submit.sh" "$spec" "$work/out" "$shards")" || fail "submit failed: $submitted"
say "$submitted"
array="$(echo "$submitted" | sed -n 's/^array job \([0-9]*\).*/\1/p')"
merge="$(echo "$submitted" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')"
for _ in $(seq 600); do
  [ -z "$(squeue -h -j "${array},${merge}" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "${array},${merge}" 2>/dev/null)" ] || fail "jobs still queued or running after 10 minutes: $(squeue -h)"
say "array and merge jobs finished in $(( $(date +%s) - start )) s"
for ((i = 0; i < shards; i++)); do
  [ -f "$work/out/shard-$i/sweep.json" ] || fail "shard $i did not finish (no sweep.json)"
done
[ -f "$work/out/merged/sweep.csv" ] || fail "the merge job wrote no merged/sweep.csv"
cat "$work/out/merged/sweep.json"

# 6. The same spec on this machine alone, and the byte-for-byte comparison.
$ANTOUM sweep "$spec" --out "$work/single" --quiet >/dev/null || fail "the single-machine run failed"
cmp "$work/out/merged/sweep.csv" "$work/single/sweep.csv" || fail "merged sweep.csv differs from the single-machine run"
cmp "$work/out/merged/sweep.json" "$work/single/sweep.json" || fail "merged sweep.json differs from the single-machine run"
rows=$(( $(wc -l <"$work/single/sweep.csv") - 1 ))
say "merged result of ${shards} Slurm array tasks equals the single-machine run byte for byte (${rows} rows, sha256 $(sha256sum "$work/single/sweep.csv" | cut -c1-16))"
say "PASS"
