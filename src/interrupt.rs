//! SIGINT and SIGTERM: noted by a handler, acted on between steps, so that a staging directory is
//! removed and the target left as it was. And the fault points the safety tests kill us at.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use signal_hook::consts::{SIGINT, SIGKILL, SIGTERM};

use crate::error::{Error, Result};

/// The last signal that arrived, 0 for none. signal-hook's handler only stores to it.
static SIGNAL: AtomicUsize = AtomicUsize::new(0);

/// Catch SIGINT and SIGTERM from now on (the binary calls this; a library user may not want it).
pub fn install() {
    for signal in [SIGINT, SIGTERM] {
        // Failing only for a signal that cannot be caught, which these two are not.
        let _ = signal_hook::flag::register_usize(signal, &SIGNAL, signal as usize);
    }
}

/// An error if a signal has arrived since `install`.
pub(crate) fn check() -> Result<()> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => Ok(()),
        signal => Err(Error::Interrupted { signal: signal as i32 }),
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
