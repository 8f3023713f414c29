#!/usr/bin/env bash
# Two Debian stable minbase roots for tests/it/pip_source.rs, which runs rvenv in them with chroot:
# - $ROOT: `python3` only — no python3-venv, so no ensurepip and no pip wheel anywhere (the
#   machine issue 20 is about: `python3 -m venv` fails there);
# - $ROOT-whl: the same plus Debian's `python3-pip-whl` (pip's wheel in /usr/share/python-wheels).
# Run once as root (or with sudo); a second run reuses the roots and only makes sure /proc is
# mounted in them. Prints the first root's path last.
#
# The roots live under ~/.cache (override: RVENV_STABLE_ROOT). Each is built in a temporary
# directory beside it and renamed into place when done, so a killed run never leaves a root that
# looks done; the next run removes what a killed one left. The mirror is the one this machine's
# own apt sources name; stable is never added to those sources.
set -euo pipefail

ROOT="${RVENV_STABLE_ROOT:-$HOME/.cache/rvenv-stable}"
WHL="$ROOT-whl"

NAME=stable-root
# shellcheck source=scripts/debian-root.sh
. "$(dirname "$0")/debian-root.sh"

if [ ! -d "$ROOT" ] || [ ! -d "$WHL" ]; then
    mkdir -p "$(dirname "$ROOT")"
    remove_stale "$ROOT"
    remove_stale "$WHL"
    need_debootstrap
fi

if [ ! -d "$ROOT" ]; then
    begin_root "$ROOT"
    log "making a Debian stable root with python3 only in $ROOT (about a minute and 200 MB, once)"
    $SUDO debootstrap --variant=minbase --include=python3 stable "$tmp" "$(mirror)" >"$tmp.log" 2>&1 || {
        tail -n 20 "$tmp.log" >&2
        echo "stable-root: debootstrap failed; its log is $tmp.log" >&2
        exit 1
    }
    rm -f "$tmp.log"
    $SUDO chroot "$tmp" python3 -c 'import venv' || {
        echo "stable-root: python3 in the new root does not import venv" >&2
        exit 1
    }
    if $SUDO chroot "$tmp" python3 -c 'import ensurepip' 2>/dev/null || [ -d "$tmp/usr/share/python-wheels" ]; then
        echo "stable-root: the new root has ensurepip or pip wheels, which it must not" >&2
        exit 1
    fi
    finish_root "$ROOT"
fi

if [ ! -d "$WHL" ]; then
    begin_root "$WHL"
    log "making $WHL: the stable root plus python3-pip-whl (once)"
    unmount_below "$ROOT"
    $SUDO cp -a --reflink=auto "$ROOT" "$tmp"
    $SUDO mount --bind /proc "$tmp/proc"
    {
        $SUDO chroot "$tmp" apt-get update -qq &&
            $SUDO chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip-whl &&
            $SUDO chroot "$tmp" apt-get clean &&
            $SUDO rm -rf "$tmp/var/lib/apt/lists/"*
    } >"$tmp.log" 2>&1 || {
        tail -n 20 "$tmp.log" >&2
        echo "stable-root: installing python3-pip-whl failed; its log is $tmp.log" >&2
        exit 1
    }
    rm -f "$tmp.log"
    ls "$tmp"/usr/share/python-wheels/pip-*.whl >/dev/null || {
        echo "stable-root: python3-pip-whl put no pip wheel in /usr/share/python-wheels" >&2
        exit 1
    }
    finish_root "$WHL"
fi

mount_proc "$ROOT"
mount_proc "$WHL"
printf '%s\n' "$ROOT"
