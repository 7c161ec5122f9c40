//! Turns on the PostgreSQL variants of the API tests when `MUSTER_TEST_POSTGRES`
//! is set; without it they are compiled as ignored, and `cargo test` lists them
//! as "ignored, skipped: ..." so nobody mistakes them for passing.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=MUSTER_TEST_POSTGRES");
    if std::env::var_os("MUSTER_TEST_POSTGRES").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
