//! The example client spawns the example server over stdio and everything it prints holds.

#[test]
fn calculator_client_drives_the_calculator_over_stdio() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_calculator-client"))
        .arg(env!("CARGO_BIN_EXE_calculator"))
        .output()
        .expect("run calculator-client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "over protocol 2026-07-28",
        "add(2, 3) = 5",
        "divide(1, 0) -> isError=true \"cannot divide by zero\"",
        "progress 100/100",
        "sum_to(100) = 5050",
        "round(1.23456) = 1.23",
        "pi = 3.14159",
        "prompt explain: Explain how to divide two numbers",
        "completions of \"d\": [\"divide\"]",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}
