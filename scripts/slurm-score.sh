#!/bin/bash
# scripts/slurm-score.sh: one partition of a scoring run per task of a Slurm
# job array (docs/scale.md). Task I of N scores the whole data and records
# the units of partition I in $OUTDIR/part_I.db; `afscore merge` (submitted
# with --dependency=afterok on this array) combines the N partials.
#
#   sbatch --array=1-8 scripts/slurm-score.sh
#
# Settings (environment, exported by sbatch): DATA, METHOD, OUTDIR, AFSCORE.
#SBATCH --job-name=afscore-score
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=02:00:00
#SBATCH --output=afscore-score_%A_%a.log
set -euo pipefail

DATA=${DATA:-data/families.db}
METHOD=${METHOD:-methodology/kz_family_2023.lua}
OUTDIR=${OUTDIR:-parts}
AFSCORE=${AFSCORE:-build/afscore}

# The array must be 1-N: task I is partition I of N.
I=${SLURM_ARRAY_TASK_ID:?run as a job array: sbatch --array=1-N scripts/slurm-score.sh}
N=${SLURM_ARRAY_TASK_MAX:?}
if [ "${SLURM_ARRAY_TASK_MIN:-1}" != 1 ]; then
  echo "slurm-score.sh: the array must start at 1 (--array=1-N)" >&2
  exit 2
fi

mkdir -p "$OUTDIR"
# A requeued or retried task starts again from nothing: the partial is written
# under a temporary name and renamed only when its run is committed, so
# part_I.db is either complete or absent.
tmp="$OUTDIR/.part_$I.$SLURM_JOB_ID.db"
rm -f "$tmp" "$tmp-wal" "$tmp-shm" "$tmp-journal"
"$AFSCORE" score --db "$DATA" --method "$METHOD" --partition "$I/$N" --out "$tmp" --json \
  > "$OUTDIR/part_$I.json"
mv -f "$tmp" "$OUTDIR/part_$I.db"
