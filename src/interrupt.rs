//! SIGINT and SIGTERM: noted by a handler, acted on between steps, so that a staging directory is
//! removed and the target left as it was, and at once while a child runs (see [`wake_fd`]). And the
//! fault points the safety tests kill us at.

use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use signal_hook::consts::{SIGINT, SIGKILL, SIGTERM};

use crate::error::{Error, Result};

/// The last signal that arrived, 0 for none. signal-hook's handler only stores to it.
static SIGNAL: AtomicUsize = AtomicUsize::new(0);

/// The read end of a socket pair the handler writes a byte to when a signal arrives, and that
/// nothing ever reads: once a signal has come, it polls readable, for every waiter and for good.
static WAKE: OnceLock<UnixStream> = OnceLock::new();

/// Catch SIGINT and SIGTERM from now on (the binary calls this; a library user may not want it).
pub fn install() {
    for signal in [SIGINT, SIGTERM] {
        // Failing only for a signal that cannot be caught, which these two are not. Registered
        // before the wake-up below, so the flag is set by the time a waiter wakes.
        let _ = signal_hook::flag::register_usize(signal, &SIGNAL, signal.unsigned_abs() as usize);
    }
    // Without the pair (no file descriptors left), a waiting run notices a signal only when the
    // child ends: the flag still stops rvenv between steps.
    let Ok((read, write)) = UnixStream::pair() else { return };
    for signal in [SIGINT, SIGTERM] {
        if let Ok(write) = write.try_clone() {
            let _ = signal_hook::low_level::pipe::register(signal, write);
        }
    }
    let _ = WAKE.set(read);
}

/// The signal that has arrived since `install`, if one has.
pub(crate) fn arrived() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        signal => i32::try_from(signal).ok(),
    }
}

/// A descriptor that polls readable (POLLIN) once SIGINT or SIGTERM has arrived: what a wait for a
/// child polls beside the child, so that it wakes at once. None before `install`.
pub(crate) fn wake_fd() -> Option<BorrowedFd<'static>> {
    WAKE.get().map(AsFd::as_fd)
}

/// An error if a signal has arrived since `install`.
pub(crate) fn check() -> Result<()> {
    match arrived() {
        None => Ok(()),
        Some(signal) => Err(Error::Interrupted { signal }),
    }
}

/// A test hook: `RVENV_FAULT=<point>` makes the process send itself SIGKILL (or, for
/// `<point>:TERM` and `<point>:INT`, SIGTERM and SIGINT) when it reaches that point, so tests can check what a kill at each
/// step leaves behind. Points: `entry:N` (after writing N entries), `placed` (after the rename or
/// swap, before the old environment is removed), `pip-image:unpacked` and `pip-image:compiled`
/// (while filling pip's cache image).
pub(crate) fn fault_point(point: std::fmt::Arguments) {
    static FAULT: OnceLock<Option<String>> = OnceLock::new();
    let Some(fault) = FAULT.get_or_init(|| std::env::var("RVENV_FAULT").ok()) else { return };
    let point = std::fmt::format(point);
    let (at, signal) = if let Some(at) = fault.strip_suffix(":TERM") {
        (at, SIGTERM)
    } else if let Some(at) = fault.strip_suffix(":INT") {
        (at, SIGINT)
    } else {
        (fault.as_str(), SIGKILL)
    };
    if at == point {
        let _ = signal_hook::low_level::raise(signal);
    }
}
