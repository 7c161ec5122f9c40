//! Reports generated at any size, for the tests and benchmarks that need
//! many findings: trufflehog's JSON lines, as `trufflehog git --json` prints.

use std::io::Write;

/// Writes `n` trufflehog findings (one a line) of `secrets` distinct secrets,
/// each found in `n / secrets` places; secret `s` is `sk-{tag}-{s:012}`.
pub fn write_trufflehog(out: impl Write, n: usize, secrets: usize, tag: &str) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let secrets = secrets.min(n).max(1);
    for i in 0..n {
        let secret = i % secrets;
        let place = i / secrets;
        writeln!(
            out,
            r#"{{"SourceMetadata":{{"Data":{{"Git":{{"commit":"{:040x}","file":"services/svc-{place}/config/.env","email":"dev{}@acme.test","repository":"https://github.com/acme/repo-{}","timestamp":"2026-10-09 08:00:00 +0000","line":{}}}}}}},"SourceID":1,"SourceType":16,"SourceName":"trufflehog - git","DetectorType":908,"DetectorName":"OpenAI","DecoderName":"PLAIN","Verified":false,"Raw":"sk-{tag}-{secret:012}","RawV2":"","Redacted":"","ExtraData":null,"StructuredData":null}}"#,
            i * 7919,
            i % 500,
            secret % 1000,
            i % 300 + 1,
        )?;
    }
    out.flush()
}

/// [`write_trufflehog`] into memory.
pub fn trufflehog(n: usize, secrets: usize, tag: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(n * 560);
    write_trufflehog(&mut bytes, n, secrets, tag).expect("writing to memory never fails");
    bytes
}
