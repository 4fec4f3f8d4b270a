//! The minimum supported Rust version stated in Cargo.toml holds: no dependency in the
//! lock file needs a newer compiler. (Standard-library APIs newer than the MSRV are caught by
//! clippy's `incompatible_msrv` lint, denied in the workspace lints.)

use serde_json::Value;

fn parse(v: &str) -> (u32, u32, u32) {
    let mut it = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

#[test]
fn no_dependency_needs_a_newer_rust_than_the_stated_msrv() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let msrv = parse(env!("CARGO_PKG_RUST_VERSION"));
    assert!(msrv >= (1, 85, 0), "edition 2024 needs at least 1.85");
    let mut too_new = Vec::new();
    for p in meta["packages"].as_array().unwrap() {
        if let Some(rv) = p["rust_version"].as_str().filter(|rv| parse(rv) > msrv) {
            too_new.push(format!("{} {} needs {rv}", p["name"], p["version"]));
        }
    }
    assert!(
        too_new.is_empty(),
        "dependencies newer than the MSRV {msrv:?}: {too_new:#?}"
    );
}
