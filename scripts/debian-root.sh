# shellcheck shell=bash
# Sourced by sid-root.sh and stable-root.sh: what making a Debian root under ~/.cache takes.
# The caller sets NAME (its name, for messages) before sourcing this.
#
# A root is built at `ROOT.tmp-PID` and renamed into place when done. The run that builds it
# holds a lock (flock) on `ROOT.tmp-PID.lock` while it works, so a later run tells a killed run's
# leftovers from a live run's work by that lock, never by the pid (a run in another PID
# namespace, a container sharing ~/.cache, has pids that mean nothing here).

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { printf '== %s\n' "$*" >&2; }

# Unmount everything strictly below $1, deepest first.
unmount_below() {
    local m
    for m in $(awk -v d="$1" 'index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r); do
        $SUDO umount -l "$m"
    done
}

# Unmount $1 and everything below it, then remove it without crossing into a mount.
remove_root() {
    local m
    for m in $(awk -v d="$1" '$2 == d {print $2}' /proc/self/mounts); do
        $SUDO umount -l "$m"
    done
    unmount_below "$1"
    $SUDO rm -rf --one-file-system "$1"
}

# The Debian mirror this machine's own apt sources name (never adding a suite to them).
mirror() {
    local m=""
    if [ -r /etc/apt/sources.list.d/debian.sources ]; then
        m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
    fi
    [ -n "$m" ] || { echo "$NAME: no Debian mirror found in this machine's apt sources" >&2; exit 1; }
    printf '%s\n' "$m"
}

# Remove what killed runs left beside the root $1: temporary roots whose lock nobody holds, with
# their logs and lock files.
remove_stale() {
    local stale
    for stale in "$1".tmp-*; do
        case "$stale" in *.log | *.lock) continue ;; esac
        [ -e "$stale" ] || continue
        if flock -n "$stale.lock" true; then
            log "removing $stale, left by a run that was stopped"
            remove_root "$stale"
            rm -f "$stale.log" "$stale.lock"
        fi
    done
}

# Start building the root $1: sets `tmp`, held locked (fd 9) and removed if the run fails.
begin_root() {
    tmp="$1.tmp-$$"
    exec 9>"$tmp.lock"
    flock 9
    trap 'remove_root "$tmp"; rm -f "$tmp.lock"' EXIT
}

# Finish it: move `tmp` into place as $1 and let go of its lock.
finish_root() {
    unmount_below "$tmp"
    $SUDO mv -T "$tmp" "$1"
    trap - EXIT
    rm -f "$tmp.lock"
    exec 9>&-
}

need_debootstrap() {
    if ! command -v debootstrap >/dev/null 2>&1; then
        log "installing debootstrap"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq debootstrap >/dev/null
    fi
}

# /proc in the root $1, once: a second run, or a run after a reboot, finds it mounted or mounts it.
mount_proc() {
    if ! awk -v p="$1/proc" '$2 == p {found = 1} END {exit !found}' /proc/self/mounts; then
        $SUDO mount --bind /proc "$1/proc"
    fi
}
