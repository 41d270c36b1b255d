//! The checked-in generated code is exactly what the schema gives: the
//! generator's `--check` as a test, so `cargo test --workspace` runs it
//! (it needs `rustfmt`, like `cargo fmt`).

use std::process::Command;

#[test]
fn generated_code_is_up_to_date() {
    let output = Command::new(env!("CARGO_BIN_EXE_ami-codegen"))
        .arg("--check")
        .output()
        .expect("runs ami-codegen");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
