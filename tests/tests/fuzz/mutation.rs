//! Mutations of a report's bytes, as proptest strategies.

use proptest::prelude::*;

/// One change to a report; positions are fractions of its length (per
/// mille), so that one mutation applies to any report.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Cut the report there.
    Truncate(usize),
    /// XOR one byte with a value.
    Flip(usize, u8),
    /// Insert bytes that are never UTF-8.
    InvalidUtf8(usize),
    /// Copy a stretch and insert it after itself (duplicated keys, records).
    Duplicate(usize, usize),
    /// Insert deep nesting.
    Nest(usize, usize),
    /// Insert a value of 2 MiB.
    Huge(usize),
    /// Put a value of another type there.
    WrongType(usize, &'static str),
}

/// Any mutation.
pub fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0..=1000_usize;
    prop_oneof![
        at.clone().prop_map(Mutation::Truncate),
        (at.clone(), 1..=255_u8).prop_map(|(at, x)| Mutation::Flip(at, x)),
        at.clone().prop_map(Mutation::InvalidUtf8),
        (at.clone(), 1..200_usize).prop_map(|(at, len)| Mutation::Duplicate(at, len)),
        (at.clone(), 100..20_000_usize).prop_map(|(at, depth)| Mutation::Nest(at, depth)),
        at.clone().prop_map(Mutation::Huge),
        (
            at,
            prop::sample::select(vec![
                "null", "0", "-1e999", "true", "{}", "[]", "\"\"", "\"x\":", "&a *a"
            ])
        )
            .prop_map(|(at, value)| Mutation::WrongType(at, value)),
    ]
}

/// Up to four mutations in a row.
pub fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..=4)
}

/// `bytes` with `mutations` applied in turn.
pub fn apply(bytes: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for mutation in mutations {
        let at = |permille: usize, len: usize| len * permille / 1000;
        let len = out.len();
        match mutation {
            Mutation::Truncate(p) => out.truncate(at(*p, len)),
            Mutation::Flip(p, x) => {
                if len > 0 {
                    let i = at(*p, len).min(len - 1);
                    out[i] ^= x;
                }
            }
            Mutation::InvalidUtf8(p) => {
                let i = at(*p, len);
                out.splice(i..i, [0xff, 0xfe, 0xc0]);
            }
            Mutation::Duplicate(p, n) => {
                let i = at(*p, len);
                let end = (i + n).min(len);
                let copy = out[i..end].to_vec();
                out.splice(end..end, copy);
            }
            Mutation::Nest(p, depth) => {
                let i = at(*p, len);
                let open = "[".repeat(*depth);
                out.splice(i..i, open.into_bytes());
            }
            Mutation::Huge(p) => {
                let i = at(*p, len);
                let mut huge = vec![b'"'];
                huge.extend(std::iter::repeat_n(b'A', 2 * 1024 * 1024));
                huge.push(b'"');
                out.splice(i..i, huge);
            }
            Mutation::WrongType(p, value) => {
                let i = at(*p, len);
                // Replace the next token: up to the next separator.
                let end = out[i..]
                    .iter()
                    .position(|b| b",}]\n".contains(b))
                    .map_or(len, |n| i + n);
                out.splice(i..end, value.bytes());
            }
        }
    }
    out
}
