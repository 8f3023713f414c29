#!/usr/bin/env bash
# Check rvenv's Python package as its users get it:
#  1. `pip wheel .` builds the wheel (maturin from PyPI, in pip's isolated build environment, runs
#     cargo); its name must be rvenv-VERSION-py3-none-<linux or manylinux tag>_<arch>.whl, VERSION
#     being Cargo.toml's, and it must hold the binary as the script `rvenv` and nothing else;
#  2. the wheel installs with `pip install --no-index` (no source, so no Rust involved) into a fresh
#     venv, and that venv's `rvenv --version` and `rvenv create` work, run with a bare PATH and HOME,
#     and the environment's python runs and has pip;
#  3. `pip install .` from the checkout installs a working `rvenv` too.
# Run from anywhere: `bash scripts/check-wheel.sh` (.ci/run does). Needs cargo, a Python 3 with
# venv (RVENV_WHEEL_PYTHON, else /usr/bin/python3, else python3) and PyPI for maturin. cargo's
# target directory (./target or $CARGO_TARGET_DIR) keeps the release build, so a second run
# compiles nothing; everything else goes in a temporary directory removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

fail() { printf 'check-wheel: FAILED: %s\n' "$*" >&2; exit 1; }
log() { printf -- '-- [%3d s] %s\n' $((SECONDS - start)) "$*"; }

PY="${RVENV_WHEEL_PYTHON:-}"
if [ -z "$PY" ]; then
    if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=$(command -v python3); fi
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rvenv-wheel.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# What the installed command runs with: no cargo, no rustup, no pip settings, a HOME of its own
# (so rvenv's cache is a new one too).
mkdir "$WORK/home"
bare() { env -i HOME="$WORK/home" PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"; }

version=$(cargo metadata --no-deps --format-version 1 |
    "$PY" -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "rvenv"))')
arch=$(uname -m)

log "pip wheel . (rvenv $version, $("$PY" --version))"
# One venv with pip (ensurepip takes seconds); the venvs rvenv is installed into get no pip of
# their own, and this pip installs into them with --python.
"$PY" -m venv "$WORK/build"
pip="$WORK/build/bin/pip"
"$pip" wheel --quiet --no-deps --wheel-dir "$WORK/dist" . ||
    fail "pip wheel . failed"
wheels=("$WORK"/dist/*.whl)
[ ${#wheels[@]} -eq 1 ] && [ -f "${wheels[0]}" ] || fail "expected one wheel, got: ${wheels[*]}"
wheel=${wheels[0]}
name=$(basename "$wheel")
platform="(many)?linux[a-z0-9_]*_$arch"
[[ $name =~ ^rvenv-${version//./\\.}-py3-none-$platform(\.$platform)*\.whl$ ]] ||
    fail "wheel $name: want rvenv-$version-py3-none-<linux or manylinux tag>_$arch.whl"
log "$name, $(($(stat -c %s "$wheel") / 1024)) KiB"

# The binary as the script rvenv, executable; beside it only the dist-info.
"$PY" - "$wheel" "$version" <<'EOF' || fail "wheel $name holds the wrong files"
import sys, zipfile
wheel, version = sys.argv[1:]
data, info = f"rvenv-{version}.data/", f"rvenv-{version}.dist-info/"
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    script = z.getinfo(data + "scripts/rvenv")
    assert (script.external_attr >> 16) & 0o111, "scripts/rvenv is not executable"
    assert script.file_size > 100_000, f"scripts/rvenv is {script.file_size} bytes"
    stray = [n for n in names if not (n.startswith(info) or n == script.filename)]
    assert not stray, f"unexpected files: {stray}"
    wheel_meta = z.read(info + "WHEEL").decode()
    assert "Root-Is-Purelib: false" in wheel_meta, wheel_meta
    print("   ", ", ".join(sorted(names)))
EOF

check_rvenv() { # $1: venv holding rvenv; $2: what installed it
    local rvenv="$1/bin/rvenv" env="$1-made" out
    [ -x "$rvenv" ] || fail "$2: no $rvenv"
    out=$(bare "$rvenv" --version) || fail "$2: rvenv --version failed"
    [ "$out" = "rvenv $version" ] || fail "$2: rvenv --version says '$out', want 'rvenv $version'"
    bare "$rvenv" create -p "$PY" "$env" || fail "$2: rvenv create failed"
    bare "$env/bin/python" -c 'import sys; assert sys.prefix != sys.base_prefix, sys.prefix' ||
        fail "$2: the environment's python does not run in the environment"
    bare "$env/bin/python" -m pip --version >/dev/null || fail "$2: the environment's pip does not run"
    bare "$rvenv" check "$env" >/dev/null || fail "$2: rvenv check finds problems in $env"
    log "$2: $out; rvenv create made an environment whose python and pip run"
}

"$PY" -m venv --without-pip "$WORK/from-wheel"
bare "$pip" --python "$WORK/from-wheel/bin/python" install --quiet --no-index --no-deps "$wheel" ||
    fail "pip install $name failed"
check_rvenv "$WORK/from-wheel" "pip install $name"

"$PY" -m venv --without-pip "$WORK/from-checkout"
"$pip" --python "$WORK/from-checkout/bin/python" install --quiet . || fail "pip install . failed"
check_rvenv "$WORK/from-checkout" "pip install ."

log "wheel check passed in $((SECONDS - start)) s"
