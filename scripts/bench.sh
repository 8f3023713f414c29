#!/usr/bin/env bash
# Benchmark `rvenv create --without-pip` against the floor (scripts/floor.c), `uv venv`,
# `python -m venv --without-pip` and `virtualenv --no-seed`, on one interpreter, in one run.
# The commands alternate: ROUNDS rounds of hyperfine, each running every command RUNS times,
# and the medians are taken over all rounds. Prints ratios (this machine is noisy: compare
# within a run, never across runs). Usage: scripts/bench.sh [PYTHON]   (default: pyenv 3.12)
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${ROUNDS:-5}"
RUNS="${RUNS:-20}"
PY="${1:-$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12.*/bin/python3.12 | tail -n 1)}"
TOOLS="${RVENV_BENCH_TOOLS:-$HOME/.cache/rvenv-bench}"

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
if [ ! -x "$TOOLS/bin/uv" ] || [ ! -x "$TOOLS/bin/virtualenv" ]; then
    echo "installing uv and virtualenv from PyPI into $TOOLS" >&2
    "$PY" -m venv "$TOOLS"
    "$TOOLS/bin/pip" install --quiet --disable-pip-version-check uv virtualenv
fi
UV="$TOOLS/bin/uv"
VIRTUALENV="$TOOLS/bin/virtualenv"

cargo build --release --quiet
RVENV="$PWD/target/release/rvenv"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
gcc -O2 -o "$WORK/floor" scripts/floor.c
export RVENV_CACHE_DIR="$WORK/rvenv-cache" UV_CACHE_DIR="$WORK/uv-cache"
ENV="$WORK/env"

# Warm every cache once (the probe cache for rvenv, uv's interpreter cache, virtualenv's app-data).
"$RVENV" create --without-pip -q -p "$PY" "$WORK/warm1"
"$UV" venv -q --python "$PY" "$WORK/warm2" 2>/dev/null
"$VIRTUALENV" -q --no-seed -p "$PY" "$WORK/warm3"

names=(floor rvenv rvenv-cold-probe uv-venv python-venv virtualenv-no-seed)
cmds=(
    "$WORK/floor $ENV $PY"
    "$RVENV create --without-pip -q -p $PY $ENV"
    "$RVENV create --without-pip -q --no-cache -p $PY $ENV"
    "$UV venv -q --python $PY $ENV"
    "$PY -m venv --without-pip $ENV"
    "$VIRTUALENV -q --no-seed -p $PY $ENV"
)
args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done

echo "Python: $PY ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"
echo "uv: $("$UV" --version)   virtualenv: $("$VIRTUALENV" --version | cut -d' ' -f2)   hyperfine: $(hyperfine --version | cut -d' ' -f2)"
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r), $(date -u +%Y-%m-%d)"
echo "Rounds: $ROUNDS x $RUNS runs per command, alternating; fresh directory every run."
for round in $(seq "$ROUNDS"); do
    hyperfine -N --style none --warmup 2 --runs "$RUNS" --prepare "rm -rf $ENV" \
        --export-json "$WORK/round-$round.json" "${args[@]}" >/dev/null
done

python3 - "$WORK" "${names[@]}" <<'EOF'
import json, statistics, sys, glob
work, names = sys.argv[1], sys.argv[2:]
times = {n: [] for n in names}
for path in sorted(glob.glob(f"{work}/round-*.json")):
    for result in json.load(open(path))["results"]:
        times[result["command"]].extend(result["times"])
med = {n: statistics.median(t) * 1000 for n, t in times.items()}
q = lambda t, p: sorted(t)[int(p * (len(t) - 1))] * 1000
print()
print("| command | median ms | p10–p90 ms | × floor | × uv venv | × python -m venv |")
print("|---|---|---|---|---|---|")
for n in names:
    t = times[n]
    print(f"| {n} | {med[n]:.2f} | {q(t, .1):.2f}–{q(t, .9):.2f} | {med[n] / med['floor']:.2f} | "
          f"{med[n] / med['uv-venv']:.3f} | {med[n] / med['python-venv']:.4f} |")
r = med["rvenv"]
print()
print(f"rvenv / uv venv = {r / med['uv-venv']:.3f} (target <= 0.25)")
print(f"rvenv / floor = {r / med['floor']:.2f} (target <= 2)")
print(f"rvenv / python -m venv --without-pip = {r / med['python-venv']:.4f} (target <= 0.05)")
print(f"probe cache: warm {r:.2f} ms, cold {med['rvenv-cold-probe']:.2f} ms")
EOF

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
    head -n 25 "$WORK/strace.txt"
fi
