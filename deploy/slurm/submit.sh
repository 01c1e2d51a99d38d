#!/usr/bin/env bash
# Submits a sweep to Slurm as a job array of N shards plus a merge job that runs when every shard succeeded.
#
#   deploy/slurm/submit.sh SPEC.json OUTROOT N [extra sbatch options...]
#
# Prints the array job id and the merge job id. The result is OUTROOT/merged/sweep.csv.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
spec="$(realpath "${1:?usage: submit.sh SPEC.json OUTROOT N [sbatch options]}")"
outroot="$(realpath -m "${2:?usage: submit.sh SPEC.json OUTROOT N}")"
count="${3:?usage: submit.sh SPEC.json OUTROOT N}"
shift 3
mkdir -p "$outroot"
export ANTOUM_REPO="${ANTOUM_REPO:-$(cd "$here/../.." && pwd)}"
array=$(sbatch --parsable --chdir="$outroot" --array="0-$((count - 1))" "$@" "$here/sweep-array.sbatch" "$spec" "$outroot")
array="${array%%;*}"
merge=$(sbatch --parsable --chdir="$outroot" --dependency="afterok:${array}" "$@" "$here/merge.sbatch" "$outroot" "$count")
echo "array job ${array} (${count} shards), merge job ${merge%%;*}: result in ${outroot}/merged/sweep.csv"
