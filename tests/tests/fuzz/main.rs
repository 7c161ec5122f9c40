//! Hostile input, generated: every report parser and the endpoint collector
//! get their fixtures mutated (truncated, bytes flipped, invalid UTF-8,
//! records duplicated, deep nesting, huge values, wrong types), and every
//! write route of the API gets random JSON bodies. Never a panic, never a
//! 5xx, never a half-applied change, never a secret in an error.
//!
//! `MUSTER_FUZZ_CASES` sets the cases per target: a bounded slice in
//! `make test`, many more in `make fuzz`. Each target prints its counts.

mod mutation;
mod parsers;
mod routes;

/// Cases per target: `MUSTER_FUZZ_CASES`, or a slice that keeps `make test` quick.
pub fn cases() -> u32 {
    std::env::var("MUSTER_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48)
}
