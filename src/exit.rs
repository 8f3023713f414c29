//! The process's exit codes, one enum for every way rvenv ends.

/// How a run ended, as the shell sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: done; `check`: no problems.
    Success,
    /// 1: it could not be done (no interpreter, an I/O error, pip failed); `check`: problems found.
    Failure,
    /// 2: a request that can never work (bad flags, path or prompt); `info`/`check`: not an environment.
    Usage,
    /// 126: `rvenv run`: the command was found but cannot be run (as a shell says).
    CannotExecute,
    /// 127: `rvenv run`: no such command (as a shell says).
    NotFound,
    /// `rvenv shell`: the shell's own exit status, passed back.
    Passed(u8),
    /// 128 + the signal, the shell's convention: 130 for SIGINT, 143 for SIGTERM.
    Signal(i32),
}

impl Exit {
    /// The code the process exits with.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::CannotExecute => 126,
            Exit::NotFound => 127,
            Exit::Passed(code) => code,
            Exit::Signal(signal) => u8::try_from(128 + signal).unwrap_or(1),
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_ones() {
        assert_eq!(Exit::Success.code(), 0);
        assert_eq!(Exit::Failure.code(), 1);
        assert_eq!(Exit::Usage.code(), 2);
        assert_eq!(Exit::CannotExecute.code(), 126);
        assert_eq!(Exit::NotFound.code(), 127);
        assert_eq!(Exit::Signal(2).code(), 130);
        assert_eq!(Exit::Signal(15).code(), 143);
        assert_eq!(Exit::Signal(200).code(), 1, "no code past 255");
    }
}
