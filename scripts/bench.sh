#!/usr/bin/env bash
# Benchmark `rvenv create --without-pip` against the floor (scripts/floor.c: the bare syscalls of
# a venv), `uv venv`, `python -m venv --without-pip` and `virtualenv --no-seed`, on one
# interpreter, in one run. ROUNDS rounds of hyperfine alternate the commands, each RUNS times in a
# fresh directory; medians are over all rounds. This machine is noisy: compare ratios within a
# run, never times across runs. Usage: scripts/bench.sh [PYTHON]   (default: pyenv 3.12)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

gcc -O2 -o "$WORK/floor" scripts/floor.c
ENV="$WORK/env"
# Warm every cache once (rvenv's probe cache, uv's interpreter cache, virtualenv's app-data).
"$RVENV" create --without-pip -q -p "$PY" "$WORK/warm1"
"$UV" venv -q --python "$PY" "$WORK/warm2" 2>/dev/null
"$VIRTUALENV" -q --no-seed -p "$PY" "$WORK/warm3"

header
echo "Rounds: $ROUNDS x $RUNS runs per command, alternating; fresh directory every run."
rounds main "$RUNS" "rm -rf $ENV" \
    floor "$WORK/floor $ENV $PY" \
    rvenv "$RVENV create --without-pip -q -p $PY $ENV" \
    rvenv-cold-probe "$RVENV create --without-pip -q --no-cache -p $PY $ENV" \
    uv-venv "$UV venv -q --python $PY $ENV" \
    python-venv "$PY -m venv --without-pip $ENV" \
    virtualenv-no-seed "$VIRTUALENV -q --no-seed -p $PY $ENV"
report floor uv-venv python-venv
echo
ratio rvenv uv-venv 0.25
ratio rvenv floor 2
ratio rvenv python-venv 0.05
echo "probe cache: warm $(median rvenv) ms, cold $(median rvenv-cold-probe) ms"

echo
echo "Peak RSS of one warm create (KiB): $( { /usr/bin/time -f %M "$RVENV" create --without-pip -q -p "$PY" "$WORK/rss" ; } 2>&1 | tail -n 1) (target <= 10240)"

many() { # many LABEL PARALLELISM
    local dir="$WORK/many-$1" start end
    mkdir -p "$dir"
    start=$(date +%s%N)
    seq 100 | xargs -P "$2" -I{} "$RVENV" create --without-pip -q -p "$PY" "$dir/{}"
    end=$(date +%s%N)
    echo "100 environments, $1: $(( (end - start) / 1000000 )) ms in all, $(du -sk "$dir" | cut -f1) KiB on disk"
}
many "one after another" 1
many "8 parallel workers" 8

if command -v strace >/dev/null; then
    echo
    echo "Where the time goes (strace -c of one warm create):"
    rm -rf "$ENV"
    strace -f -c -o "$WORK/strace.txt" "$RVENV" create --without-pip -q -p "$PY" "$ENV"
    head -n 16 "$WORK/strace.txt"
fi
