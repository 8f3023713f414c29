#!/usr/bin/env bash
# Benchmark `rvenv create` with pip (the default) against `uv venv --seed --offline` and
# `python -m venv` (which runs ensurepip), warm and cold, on one interpreter, in one run; then
# the disk a second environment adds. Alternating rounds, medians, ratios (see scripts/bench.sh).
# `python -m venv` and the cold runs take seconds each, so they get COLD_RUNS runs per round.
# Usage: scripts/bench-pip.sh [PYTHON]   (default: pyenv 3.12)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
COLD_RUNS="${COLD_RUNS:-2}"

ENV="$WORK/env"
"$RVENV" create -q -p "$PY" "$WORK/warm1"                              # rvenv's pip image
"$UV" venv -q --seed --python "$PY" "$WORK/warm2" 2>/dev/null         # uv's cached pip wheel

header
echo "Rounds: $ROUNDS; warm commands $RUNS runs, python -m venv and cold rvenv $COLD_RUNS runs per round."
for round in $(seq "$ROUNDS"); do
    # (rounds alternates the order by ROUNDS' parity: flip it by hand for these one-round calls)
    if [ $((round % 2)) -eq 1 ]; then
        a=(rvenv "$RVENV create -q -p $PY $ENV") b=(uv-seed-offline "$UV venv -q --seed --offline --python $PY $ENV")
    else
        b=(rvenv "$RVENV create -q -p $PY $ENV") a=(uv-seed-offline "$UV venv -q --seed --offline --python $PY $ENV")
    fi
    ROUNDS=1 rounds "warm$round" "$RUNS" "rm -rf $ENV" "${a[@]}" "${b[@]}"
    ROUNDS=1 rounds "slow$round" "$COLD_RUNS" "rm -rf $ENV $RVENV_CACHE_DIR/pip" \
        rvenv-cold-cache "$RVENV create -q -p $PY $ENV" \
        python-venv "$PY -m venv $ENV"
done
report uv-seed-offline python-venv
echo
echo "rvenv warm: $(median rvenv) ms (target <= 25)"
ratio rvenv python-venv 0.01
ratio rvenv uv-seed-offline 1.0
echo "rvenv cold cache: $(median rvenv-cold-cache) ms (target <= 1500)"

rm -rf "$WORK/a" "$WORK/b"
"$RVENV" create -q -p "$PY" "$WORK/a"
"$RVENV" create -q -p "$PY" "$WORK/b"
echo "Disk a second environment adds beyond the first (du counts hard links once): $(du -sk "$WORK/a" "$WORK/b" | awk 'NR == 2 {print $1}') KiB (target <= 1024)"
