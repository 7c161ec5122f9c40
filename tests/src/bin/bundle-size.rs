//! `make bundle-size`: what the built web app (`dist/`) makes a browser
//! download, gzipped as the server sends it: the main module (WebAssembly,
//! its JavaScript and the chunks' loader), and for each lazy split (a screen,
//! or the charts) its own chunk and the shared chunks it needs, read from
//! the loader that `app/split-wasm.sh` installs. A first visit lands on the
//! Overview: the main module and the charts. A first visit straight to
//! another screen: the main module and that screen's code.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use muster_tests::workspace_root;

/// The size of `file`'s gzipped copy, as the server sends it.
fn gzipped(file: &Path) -> u64 {
    let mut gz = file.as_os_str().to_owned();
    gz.push(".gz");
    std::fs::metadata(&gz)
        .unwrap_or_else(|e| panic!("{}: {e} (build with `make dist`)", PathBuf::from(gz).display()))
        .len()
}

/// The file a loader's `fetch(new URL("./<file>", ...))` after `from` names.
fn fetched_file(from: &str) -> &str {
    let start = from.find("new URL(\"./").expect("a fetch of a chunk") + "new URL(\"./".len();
    let end = start + from[start..].find('"').expect("a closing quote");
    &from[start..end]
}

fn main() {
    let dist = workspace_root().join("dist");
    let entries: Vec<PathBuf> = std::fs::read_dir(&dist)
        .expect("dist/ (build it with `make dist`)")
        .map(|e| e.unwrap().path())
        .collect();
    let named = |suffix: &str| -> PathBuf {
        entries
            .iter()
            .find(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with("muster-app-") && name.ends_with(suffix)
            })
            .unwrap_or_else(|| panic!("no muster-app-*{suffix} in dist/"))
            .clone()
    };
    let (wasm, js) = (named("_bg.wasm"), named(".js"));
    let chunks = wasm.with_file_name(
        wasm.file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches("_bg.wasm"),
    );
    let loader = chunks.join("__wasm_split.js");
    let main = gzipped(&wasm) + gzipped(&js) + gzipped(&loader);
    let script = std::fs::read_to_string(&loader).expect("the chunks' loader");

    // `const __chunk_N = makeLoad(() => { ... fetch(new URL("./chunk_N.wasm" ...`
    let mut shared: HashMap<&str, u64> = HashMap::new();
    for (at, _) in script.match_indices("const __chunk_") {
        let rest = &script[at + "const ".len()..];
        let name = &rest[..rest.find(' ').unwrap()];
        shared.insert(name, gzipped(&chunks.join(fetched_file(rest))));
    }
    // `export const __wasm_split_load_<split> = wrapAsyncCb(makeLoad(() => { ... }, [__chunk_a, ...]));`
    let mut splits = Vec::new();
    for (at, _) in script.match_indices("export const __wasm_split_load_") {
        let rest = &script[at + "export const __wasm_split_load_".len()..];
        let split = rest[..rest.find(' ').unwrap()].trim_start_matches('_');
        let split = split.rsplit_once('_').map_or(split, |(name, _hash)| name);
        let own = gzipped(&chunks.join(fetched_file(rest)));
        let deps_start = rest.find(", [").unwrap() + 3;
        let deps = &rest[deps_start..deps_start + rest[deps_start..].find(']').unwrap()];
        let deps: Vec<&str> = deps.split(',').map(str::trim).filter(|d| !d.is_empty()).collect();
        let size = own + deps.iter().map(|d| shared[d]).sum::<u64>();
        splits.push((split.to_owned(), deps.len() + 1, size));
    }
    splits.sort();
    let all_chunks: u64 = std::fs::read_dir(&chunks)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .map(|p| gzipped(&p))
        .sum();
    let charts = splits.iter().find(|(name, ..)| name == "draw").map_or(0, |s| s.2);

    println!("gzipped bytes, as the server sends them");
    println!("main module (WebAssembly, JavaScript, chunks' loader): {main}");
    println!("a first visit (the Overview, with its charts): {}", main + charts);
    println!("a first visit straight to a screen (main module and the screen's code):");
    for (split, files, size) in &splits {
        println!(
            "  {split:<40} {files:>4} files {size:>8}  first visit {:>8}",
            main + size
        );
    }
    println!(
        "everything (every chunk, {} of them): {}",
        shared.len() + splits.len(),
        main + all_chunks
    );
}
