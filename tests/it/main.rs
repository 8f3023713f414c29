//! The integration tests, one binary: each module drives the built `rvenv` against real
//! interpreters, shells, files and users; `common` is what they share (one compile of it, one
//! cache for the whole run).
#![allow(
    clippy::disallowed_methods,
    reason = "a test's unwrap names its line; errors that name their path are for users"
)]
#![allow(
    clippy::items_after_statements,
    clippy::unused_self,
    clippy::needless_pass_by_value,
    clippy::unnecessary_debug_formatting,
    clippy::assigning_clones,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    reason = "test code: helpers declared where used, fixtures as methods, paths shown as Debug in               assertions, small numbers of this machine's own"
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
