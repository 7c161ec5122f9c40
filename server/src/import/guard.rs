//! Bounds on single values of a report, checked on the bytes as they are
//! read, before any parser builds a value of them: a report of a gigabyte is
//! fine, one string of a gigabyte is not. Nesting depth and YAML alias
//! expansion are bounded by the parsers themselves (`serde_json` and
//! `serde_norway` stop at 128 levels; `serde_norway` refuses an alias
//! expansion past 100 times the document's events), and the tests hold
//! them to it.

use std::io::Read;

/// The longest single value: a JSON string or bare token, or a CSV or YAML
/// line.
pub const MAX_FIELD: usize = 1024 * 1024;

/// How a report's bytes are cut into values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// JSON or JSON lines: string literals and bare tokens (numbers, words).
    Json,
    /// CSV or YAML: lines.
    Lines,
}

/// A reader that fails (`InvalidData`, naming the limit) as soon as a
/// single value runs past [`MAX_FIELD`] bytes.
pub struct Guarded<R> {
    inner: R,
    shape: Shape,
    in_string: bool,
    escaped: bool,
    /// Hex digits left of a `\u` escape, and whether all so far were 0.
    hex_left: u8,
    hex_zero: bool,
    run: usize,
    offset: u64,
}

/// Why a report was cut short.
enum Refusal {
    TooLong,
    Nul,
}

impl<R: Read> Guarded<R> {
    /// Guards `inner`, cut as `shape`.
    pub fn new(inner: R, shape: Shape) -> Self {
        Self {
            inner,
            shape,
            in_string: false,
            escaped: false,
            hex_left: 0,
            hex_zero: false,
            run: 0,
            offset: 0,
        }
    }

    /// Follows one byte: refused when the value it belongs to is too long,
    /// or when it is (or ends an escape of) the NUL character, which no text
    /// column takes (PostgreSQL refuses it outright).
    fn follow(&mut self, byte: u8) -> Result<(), Refusal> {
        match self.shape {
            Shape::Lines => {
                if byte == 0 {
                    return Err(Refusal::Nul);
                }
                self.run = if byte == b'\n' { 0 } else { self.run + 1 };
            }
            Shape::Json if self.in_string => {
                if self.hex_left > 0 {
                    self.hex_zero &= byte == b'0';
                    self.hex_left -= 1;
                    if self.hex_left == 0 && self.hex_zero {
                        return Err(Refusal::Nul);
                    }
                } else if self.escaped {
                    self.escaped = false;
                    if byte == b'u' {
                        (self.hex_left, self.hex_zero) = (4, true);
                    }
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                    self.run = 0;
                    return Ok(());
                }
                self.run += 1;
            }
            Shape::Json => match byte {
                b'"' => {
                    self.in_string = true;
                    self.run = 0;
                }
                b'{' | b'}' | b'[' | b']' | b',' | b':' | b' ' | b'\t' | b'\r' | b'\n' => self.run = 0,
                _ => self.run += 1,
            },
        }
        if self.run > MAX_FIELD {
            return Err(Refusal::TooLong);
        }
        Ok(())
    }
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        for (i, byte) in buf[..read].iter().enumerate() {
            if let Err(refusal) = self.follow(*byte) {
                let at = self.offset + i as u64;
                let what = match (refusal, self.shape) {
                    (Refusal::Nul, _) => format!("the NUL character (at byte {at}), which no text may hold"),
                    (Refusal::TooLong, Shape::Json) => format!(
                        "a single value is longer than {} MiB (at byte {at})",
                        MAX_FIELD / 1024 / 1024
                    ),
                    (Refusal::TooLong, Shape::Lines) => format!(
                        "a single line is longer than {} MiB (at byte {at})",
                        MAX_FIELD / 1024 / 1024
                    ),
                };
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{what}: refused"),
                ));
            }
        }
        self.offset += read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], shape: Shape) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Guarded::new(bytes, shape).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn long_reports_pass_and_long_values_do_not() {
        let many = format!("[{}]", vec!["\"short\""; 300_000].join(","));
        assert!(read_all(many.as_bytes(), Shape::Json).is_ok());
        let escaped = format!("\"{}\"", "\\\"".repeat(MAX_FIELD / 4));
        assert!(
            read_all(escaped.as_bytes(), Shape::Json).is_ok(),
            "escapes count, quotes inside do not end it"
        );
        let long = format!("{{\"a\": \"{}\"}}", "x".repeat(MAX_FIELD + 1));
        let error = read_all(long.as_bytes(), Shape::Json).unwrap_err();
        assert!(error.to_string().contains("longer than 1 MiB"), "{error}");
        let number = format!("[{}]", "9".repeat(MAX_FIELD + 1));
        assert!(read_all(number.as_bytes(), Shape::Json).is_err());
        let lines = format!("{}\n", "a,b\n".repeat(MAX_FIELD));
        assert!(read_all(lines.as_bytes(), Shape::Lines).is_ok());
        let line = "x".repeat(MAX_FIELD + 1);
        assert!(read_all(line.as_bytes(), Shape::Lines).is_err());
    }

    #[test]
    fn the_nul_character_is_refused_and_an_escaped_backslash_is_not_one() {
        for nul in [r#"["a\u0000b"]"#, r#"{"k": "\u0000"}"#] {
            let error = read_all(nul.as_bytes(), Shape::Json).unwrap_err();
            assert!(error.to_string().contains("NUL"), "{nul}: {error}");
        }
        for fine in [r#"["a\\u0000b"]"#, r#"["\u0041\u00e9"]"#, r#"["u0000"]"#] {
            assert!(read_all(fine.as_bytes(), Shape::Json).is_ok(), "{fine}");
        }
        assert!(read_all(b"a,b\0,c\n", Shape::Lines).is_err());
    }
}
