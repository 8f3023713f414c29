#!/usr/bin/env bash
# The prompt hook's cost per prompt (`rvenv hook bash`), in a real bash: the mean time of the
# hook function over many prompts, (a) when the directory did not change (the usual prompt:
# a string comparison, rvenv is not run), (b) on a change of directory into or out of a project
# (rvenv hook-eval runs, and its activation or deactivation is evaluated), set against (c) a bash
# function doing nothing and (d) `/bin/true` started once a prompt. The issue's budget: 2 ms a prompt.
# Usage: bash scripts/bench-hook.sh [N]   (from the repository root; builds the release binary)
set -euo pipefail
N="${1:-500}"
cargo build --release --quiet
RVENV="$PWD/${CARGO_TARGET_DIR:-target}/release/rvenv"
[ -x "$RVENV" ] || RVENV="${CARGO_TARGET_DIR:-$PWD/target}/release/rvenv"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" XDG_STATE_HOME="$WORK/state" RVENV_CACHE_DIR="$WORK/cache"
mkdir -p "$HOME/proj/src/pkg" "$HOME/elsewhere"
PY="$(ls -d "${PYENV_ROOT:-/root/.pyenv}"/versions/3.12.*/bin/python3.12 2>/dev/null | tail -n 1)"
"$RVENV" create -q --without-pip ${PY:+--python "$PY"} "$HOME/proj/.venv"
echo "rvenv: $RVENV   bash: $BASH_VERSION   machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
bash --norc --noprofile -c '
    set -u
    N=$1 RVENV=$2
    eval "$("$RVENV" hook bash)"
    noop() { :; }
    us() { echo $(( (${2/./} - ${1/./}) / N )); }
    cd "$HOME/proj/src"; _rvenv_hook
    t0=$EPOCHREALTIME; for ((i = 0; i < N; i++)); do _rvenv_hook; done; t1=$EPOCHREALTIME
    same=$(us "$t0" "$t1")
    t0=$EPOCHREALTIME; for ((i = 0; i < N; i++)); do noop; done; t1=$EPOCHREALTIME
    nothing=$(us "$t0" "$t1")
    t0=$EPOCHREALTIME; for ((i = 0; i < N; i++)); do /bin/true; done; t1=$EPOCHREALTIME
    truecost=$(us "$t0" "$t1")
    t0=$EPOCHREALTIME
    for ((i = 0; i < N; i++)); do
        if ((i % 2)); then cd "$HOME/elsewhere"; else cd "$HOME/proj/src/pkg"; fi
        _rvenv_hook
    done
    t1=$EPOCHREALTIME
    changed=$(us "$t0" "$t1")
    [ -z "${VIRTUAL_ENV-}" ] || { echo "the last cd left an env active" >&2; exit 1; }
    printf "per prompt, mean of %d (microseconds):\n" "$N"
    printf "  same directory (rvenv not run)       %6d\n" "$same"
    printf "  changed directory (hook-eval + eval) %6d\n" "$changed"
    printf "  an empty bash function               %6d\n" "$nothing"
    printf "  /bin/true, started once              %6d\n" "$truecost"
    awk -v c="$changed" -v t="$truecost" -v s="$same" "BEGIN { printf \"  ratios: changed/true %.2f, same/changed %.4f; budget 2000 us: changed uses %.0f%%\n\", c / t, s / c, c / 20 }"
' bench "$N" "$RVENV"
