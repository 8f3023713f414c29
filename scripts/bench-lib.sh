# Shared by scripts/bench.sh and scripts/bench-pip.sh (source it from the repository root).
# Sets PY, UV, VIRTUALENV, RVENV, WORK (removed on exit), RVENV_CACHE_DIR and UV_CACHE_DIR, and
# gives `rounds` (alternating hyperfine rounds) and `report` (medians and ratios over the rounds).

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
export RVENV_CACHE_DIR="$WORK/rvenv-cache" UV_CACHE_DIR="$WORK/uv-cache"

header() {
    echo "Python: $PY ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"
    echo "uv: $("$UV" --version)   virtualenv: $("$VIRTUALENV" --version | awk 'NR == 1 {print $2}')   hyperfine: $(hyperfine --version | cut -d' ' -f2)"
    echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r), $(date -u +%Y-%m-%d)"
}

# rounds TAG RUNS PREPARE NAME CMD [NAME CMD]...: ROUNDS rounds of hyperfine over the commands,
# JSON kept per round. PREPARE runs before every run (each run gets a fresh directory), then
# `sync`, so the file system's deferred work from deleting the last run's files is not charged
# to whichever command happens to run next. Every other round runs the commands in reverse order.
rounds() {
    local tag="$1" runs="$2" prepare="$3" round i
    shift 3
    local pairs=()
    while [ "$#" -gt 0 ]; do pairs+=("$1" "$2"); shift 2; done
    for round in $(seq "$ROUNDS"); do
        local args=()
        for ((i = 0; i < ${#pairs[@]}; i += 2)); do
            if [ $((round % 2)) -eq 1 ]; then
                args+=(-n "${pairs[$i]}" "${pairs[$((i + 1))]}")
            else
                args=(-n "${pairs[$i]}" "${pairs[$((i + 1))]}" "${args[@]}")
            fi
        done
        hyperfine -N --style none --warmup 1 --runs "$runs" --prepare "sh -c '$prepare; sync'" \
            --export-json "$WORK/$tag-$round.json" "${args[@]}" >/dev/null 2>&1
    done
}

# report BASE [BASE]...: a table of medians over all rounds of every tag, with the ratio of each
# command to each BASE; then `name=median_ms` lines for the caller's own checks in $WORK/medians.
report() {
    python3 - "$WORK" "$@" <<'EOF'
import glob, json, statistics, sys
work, bases = sys.argv[1], sys.argv[2:]
times = {}
for path in sorted(glob.glob(f"{work}/*-[0-9]*.json")):
    for result in json.load(open(path))["results"]:
        times.setdefault(result["command"], []).extend(result["times"])
med = {n: statistics.median(t) * 1000 for n, t in times.items()}
q = lambda t, p: sorted(t)[int(p * (len(t) - 1))] * 1000
print()
print("| command | runs | median ms | p10–p90 ms | " + " | ".join(f"× {b}" for b in bases) + " |")
print("|---|---|---|---|" + "---|" * len(bases))
for n, t in times.items():
    ratios = " | ".join(f"{med[n] / med[b]:.3f}" for b in bases)
    print(f"| {n} | {len(t)} | {med[n]:.2f} | {q(t, .1):.2f}–{q(t, .9):.2f} | {ratios} |")
with open(f"{work}/medians", "w") as f:
    for n, m in med.items():
        f.write(f"{n} {m}\n")
EOF
}

# median NAME: the median in ms of NAME, from the last report.
median() { awk -v n="$1" '$1 == n { printf "%.2f\n", $2 }' "$WORK/medians"; }

# ratio A B TARGET: "A / B = x (target <= TARGET)".
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{sys.argv[3]} / {sys.argv[4]} = {a / b:.4f} (target <= {sys.argv[5]})')" "$(median "$1")" "$(median "$2")" "$1" "$2" "$3"; }
