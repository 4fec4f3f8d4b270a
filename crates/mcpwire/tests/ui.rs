//! Compile-time diagnostics of the attribute macros: every mistake in `tests/ui/fail` gives
//! one error at the offending token (pinned by the `.stderr` snapshots next to each case),
//! and every supported signature in `tests/ui/pass` compiles.
//!
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test -p mcpwire --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
