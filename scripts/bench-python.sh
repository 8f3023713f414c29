#!/usr/bin/env bash
# Benchmark `-p SPEC` spellings: warm `rvenv create --without-pip -p SPEC` for `3.12`, `>=3.11`,
# `cpython@3.12` and `py312`, each as a ratio to `-p /abs/path/python3.12` (target <= 1.2x), and
# warm `rvenv python list` (target <= 10 ms), with pyenv's shims on PATH, its versions, and a
# uv-managed install (a hard-link copy of pyenv's 3.12) present. One run; compare ratios only.
# Usage: scripts/bench-python.sh [PYTHON]   (default: pyenv 3.12)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
RVENV="${CARGO_TARGET_DIR:-$PWD/target}/release/rvenv"

ENV="$WORK/env"
HOME_DIR="$WORK/home"
VERSION_DIR="$(dirname "$(dirname "$PY")")"
mkdir -p "$HOME_DIR/.local/share/uv/python"
cp -al "$VERSION_DIR" "$HOME_DIR/.local/share/uv/python/cpython-$(basename "$VERSION_DIR")-linux-x86_64-gnu"
export HOME="$HOME_DIR" PYENV_ROOT="${PYENV_ROOT:-/root/.pyenv}"
export PATH="$PYENV_ROOT/shims:/usr/local/bin:/usr/bin:/bin"
unset PYENV_VERSION RVENV_PYTHON
# Warm the probe cache for every spelling (and every interpreter list looks at).
for spec in "$PY" 3.12 '>=3.11' cpython@3.12 py312; do "$RVENV" create --without-pip -q -p "$spec" "$WORK/warm"; done
"$RVENV" python list >/dev/null

header
echo "Rounds: $ROUNDS x $RUNS runs per command, alternating; fresh directory every run."
rounds spec "$RUNS" "rm -rf $ENV" \
    path "$RVENV create --without-pip -q -p $PY $ENV" \
    v3.12 "$RVENV create --without-pip -q -p 3.12 $ENV" \
    ge3.11 "$RVENV create --without-pip -q -p >=3.11 $ENV" \
    cpython@3.12 "$RVENV create --without-pip -q -p cpython@3.12 $ENV" \
    py312 "$RVENV create --without-pip -q -p py312 $ENV" \
    python-list "$RVENV python list"
report path
echo
for name in v3.12 ge3.11 cpython@3.12 py312; do ratio "$name" path 1.2; done
echo "rvenv python list: $(median python-list) ms (target <= 10), $("$RVENV" python list | wc -l) interpreters"

# Instructions are not noisy: callgrind's count of one warm create per spelling, as ratios.
if command -v valgrind >/dev/null; then
    echo
    echo "Instructions of one warm create (valgrind --tool=callgrind):"
    count() { rm -rf "$ENV"; valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | awk '/refs:/ {gsub(",", "", $NF); print $NF}'; }
    base=$(count "$RVENV" create --without-pip -q -p "$PY" "$ENV")
    echo "  -p $PY: $base"
    for spec in 3.12 '>=3.11' cpython@3.12 py312; do
        n=$(count "$RVENV" create --without-pip -q -p "$spec" "$ENV")
        python3 -c "import sys; print(f'  -p {sys.argv[1]}: {sys.argv[2]} = {int(sys.argv[2]) / int(sys.argv[3]):.3f}x (target <= 1.2)')" "$spec" "$n" "$base"
    done
    echo "  python list: $(count "$RVENV" python list)"
fi
