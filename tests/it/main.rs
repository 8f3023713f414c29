//! The integration tests, one binary: each module drives the built `rvenv` against real
//! interpreters, shells, files and users; `common` is what they share (one compile of it, one
//! cache for the whole run).
#![allow(
    clippy::disallowed_methods,
    reason = "a test's unwrap names its line; errors that name their path are for users"
)]

mod common;

mod activation_property;
mod cache;
mod children;
mod cli;
mod differential;
mod discovery;
mod faults;
mod inspect;
mod interpreter;
mod messages;
mod output;
mod packaging;
mod pip_source;
mod project;
mod rerun;
mod safety;
mod seed;
mod shells;
mod sid;
mod texts;
mod trust;
mod using;
