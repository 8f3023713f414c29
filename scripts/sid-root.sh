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

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { printf '== %s\n' "$*" >&2; }

# Unmount everything below $1 (deepest first), then remove it without crossing into a mount.
remove_root() {
    local dir="$1" mounts
    mounts=$(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r)
    for m in $mounts; do
        $SUDO umount -l "$m"
    done
    $SUDO rm -rf --one-file-system "$dir"
}

mirror() {
    local m=""
    if [ -r /etc/apt/sources.list.d/debian.sources ]; then
        m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
    fi
    [ -n "$m" ] || { echo "sid-root: no Debian mirror found in this machine's apt sources" >&2; exit 1; }
    printf '%s\n' "$m"
}

if [ ! -d "$ROOT" ]; then
    mkdir -p "$(dirname "$ROOT")"
    # What a killed run left: its temporary roots (their debootstrap may have mounted /proc in them).
    for stale in "$ROOT".tmp-*; do
        [ -e "$stale" ] || continue
        pid="${stale##*.tmp-}"
        if ! kill -0 "$pid" 2>/dev/null; then
            log "removing $stale, left by a run that was stopped"
            remove_root "$stale"
        fi
    done
    if ! command -v debootstrap >/dev/null 2>&1; then
        log "installing debootstrap"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq debootstrap >/dev/null
    fi
    tmp="$ROOT.tmp-$$"
    trap 'remove_root "$tmp"' EXIT
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
    remove_mounts=$(awk -v d="$tmp" 'index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r)
    for m in $remove_mounts; do $SUDO umount -l "$m"; done
    $SUDO mv -T "$tmp" "$ROOT"
    trap - EXIT
fi

# /proc, once: a second run, or a run after a reboot, finds it mounted or mounts it.
if ! awk -v p="$ROOT/proc" '$2 == p {found = 1} END {exit !found}' /proc/self/mounts; then
    $SUDO mount --bind /proc "$ROOT/proc"
fi
printf '%s\n' "$ROOT"
