//! SIGINT and SIGTERM: noted by a handler, acted on between steps, so that a staging directory is
//! removed and the target left as it was. And the fault points the safety tests kill us at.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};

use crate::error::{Error, Result};

static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn note(signal: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    SIGNAL.store(signal, Ordering::SeqCst);
}

/// Catch SIGINT and SIGTERM from now on (the binary calls this; a library user may not want it).
pub fn install() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction with a handler that only stores to an atomic.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = note as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// An error if a signal has arrived since `install`.
pub fn check() -> Result<()> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => Ok(()),
        signal => Err(Error::Interrupted { signal }),
    }
}

/// A test hook: `RVENV_FAULT=<point>` makes the process send itself SIGKILL (or, for
/// `<point>:TERM` and `<point>:INT`, SIGTERM and SIGINT) when it reaches that point, so tests can check what a kill at each
/// step leaves behind. Points: `entry:N` (after writing N entries), `placed` (after the rename or
/// swap, before the old environment is removed), `pip-image:unpacked` and `pip-image:compiled`
/// (while filling pip's cache image).
pub fn fault_point(point: std::fmt::Arguments) {
    static FAULT: OnceLock<Option<String>> = OnceLock::new();
    let Some(fault) = FAULT.get_or_init(|| std::env::var("RVENV_FAULT").ok()) else { return };
    let point = std::fmt::format(point);
    let (at, signal) = if let Some(at) = fault.strip_suffix(":TERM") {
        (at, libc::SIGTERM)
    } else if let Some(at) = fault.strip_suffix(":INT") {
        (at, libc::SIGINT)
    } else {
        (fault.as_str(), libc::SIGKILL)
    };
    if at == point {
        // SAFETY: raise(3) with a valid signal number.
        unsafe { libc::raise(signal) };
    }
}
