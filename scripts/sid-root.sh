#!/usr/bin/env bash
# A Debian sid root holding today's Pythons (3.14, 3.15, the 3.14 debug build, each with its venv
# and Debian's pip wheels), for tests/it/sid.rs: they run rvenv and `python -m venv` in it with chroot.
# Run once as root (or with sudo); a second run reuses the root and only makes sure /proc is
# mounted in it. Prints the root's path last.
#
# The root lives under ~/.cache (override: RVENV_SID_ROOT). It is built in a temporary directory
# beside it and renamed into place when debootstrap has finished, so a killed run never leaves
# a root that looks done; the next run removes what a killed one left.
# The mirror is the one this machine's own apt sources name; sid is never added to those sources
# (an apt-get install on the host would then pull sid's libc into it).
set -euo pipefail

ROOT="${RVENV_SID_ROOT:-$HOME/.cache/rvenv-sid}"
PACKAGES=python3.14,python3.14-venv,python3.15,python3.15-venv,python3.14-dbg

NAME=sid-root
# shellcheck source=scripts/debian-root.sh
. "$(dirname "$0")/debian-root.sh"

if [ ! -d "$ROOT" ]; then
    mkdir -p "$(dirname "$ROOT")"
    remove_stale "$ROOT"
    need_debootstrap
    begin_root "$ROOT"
    log "making a Debian sid root in $ROOT (about a minute and 250 MB, once)"
    $SUDO debootstrap --variant=minbase --include="$PACKAGES" sid "$tmp" "$(mirror)" >"$tmp.log" 2>&1 || {
        tail -n 20 "$tmp.log" >&2
        echo "sid-root: debootstrap failed; its log is $tmp.log" >&2
        exit 1
    }
    rm -f "$tmp.log"
    for python in python3.14 python3.15 python3.14d; do
        $SUDO chroot "$tmp" "$python" -c 'import venv, ensurepip' || {
            echo "sid-root: $python in the new root does not import venv and ensurepip" >&2
            exit 1
        }
    done
    finish_root "$ROOT"
fi

mount_proc "$ROOT"
printf '%s\n' "$ROOT"
