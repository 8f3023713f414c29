#!/usr/bin/env bash
# Benchmark `rvenv create` with pip (the default), with files of its own (root's default) and
# with hard links, against `uv venv --seed --offline` (copying, and hard-linking), a `cp -r` of
# rvenv's image and `python -m venv` (which runs ensurepip), warm and cold, on one interpreter,
# in one run; then the disk a second hard-linked environment adds. Alternating rounds, medians,
# ratios (see scripts/bench.sh).
# `python -m venv` and the cold runs take seconds each, so they get COLD_RUNS runs per round.
# Usage: scripts/bench-pip.sh [PYTHON]   (default: pyenv 3.12)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
COLD_RUNS="${COLD_RUNS:-2}"

ENV="$WORK/env"
"$RVENV" create -q -p "$PY" "$WORK/warm1"                              # rvenv's pip image
"$UV" venv -q --seed --python "$PY" "$WORK/warm2" 2>/dev/null         # uv's cached pip wheel
IMAGE=$(ls -d "$RVENV_CACHE_DIR"/pip/*/ | head -n 1)

header
echo "Rounds: $ROUNDS; warm commands $RUNS runs, python -m venv and cold rvenv $COLD_RUNS runs per round."
# Files of the environment's own (root's default, `--link-mode copy`) against uv's copies and a
# plain `cp -r` of rvenv's image; hard links against uv's default (hard links too).
rounds warm "$RUNS" "rm -rf $ENV" \
    rvenv-copy "$RVENV create -q --link-mode copy -p $PY $ENV" \
    uv-seed-offline-copy "env UV_LINK_MODE=copy $UV venv -q --seed --offline --python $PY $ENV" \
    cp-r-image "cp -r $IMAGE $ENV" \
    rvenv-hardlink "$RVENV create -q --link-mode hardlink -p $PY $ENV" \
    uv-seed-offline "$UV venv -q --seed --offline --python $PY $ENV"
rounds slow "$COLD_RUNS" "rm -rf $ENV $RVENV_CACHE_DIR/pip" \
    rvenv-cold-cache "$RVENV create -q -p $PY $ENV" \
    python-venv "$PY -m venv $ENV"
report uv-seed-offline uv-seed-offline-copy cp-r-image python-venv
echo
echo "rvenv, hard links: $(median rvenv-hardlink) ms (target <= 25)"
ratio rvenv-hardlink uv-seed-offline 0.5
ratio rvenv-copy uv-seed-offline-copy 0.75
ratio rvenv-copy cp-r-image 1.5
ratio rvenv-copy python-venv 0.01
echo "rvenv cold cache: $(median rvenv-cold-cache) ms (target <= 1500)"

rm -rf "$WORK/a" "$WORK/b"
"$RVENV" create -q --link-mode hardlink -p "$PY" "$WORK/a"
"$RVENV" create -q --link-mode hardlink -p "$PY" "$WORK/b"
echo "Disk a second hard-linked environment adds beyond the first (du counts hard links once): $(du -sk "$WORK/a" "$WORK/b" | awk 'NR == 2 {print $1}') KiB (target <= 1024)"
