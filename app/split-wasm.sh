#!/usr/bin/env bash
# Trunk's post-build hook (Trunk.toml): splits the web app's WebAssembly at
# its lazy routes (app/src/app.rs), so that a first visit loads the shared
# code and one screen's, not every screen's.
#
# Trunk 0.21 builds, binds and optimises one module and has no step for
# splitting it (trunk-rs/trunk#1022), so this hook redoes the last two steps
# the way cargo-leptos does for `--split`: it splits cargo's output (linked
# with `--emit-relocs`, see .cargo/config.toml) with `wasm-split-cli`, binds
# the main part with wasm-bindgen (keeping the exports the chunks import),
# optimises every part, and puts the results in place of the files Trunk
# staged. Trunk's names stay (their hash is of the unsplit module, so it
# still changes with the code); the chunks and their loader go in a folder
# named after the same hash.
set -euo pipefail

stage=${TRUNK_STAGING_DIR:?run by Trunk as a post_build hook}
target=${CARGO_TARGET_DIR:-target}
name=muster-app
# index.html builds with `data-cargo-profile="wasm-release"`, in every mode.
input="$target/wasm32-unknown-unknown/wasm-release/$name.wasm"
work="$target/wasm-split"

fail() {
  echo "split-wasm: $1" >&2
  exit 1
}

# The files Trunk staged: `<name>-<hash>.js` and `<name>-<hash>_bg.wasm`.
shopt -s nullglob
staged_js=("$stage/$name"-*.js)
[ ${#staged_js[@]} -eq 1 ] || fail "expected one $name-*.js in $stage"
hashed=$(basename "${staged_js[0]}" .js)
staged_wasm="$stage/${hashed}_bg.wasm"
[ -f "$staged_wasm" ] || fail "$staged_wasm is missing"

rm -rf "$work"
mkdir -p "$work/split" "$work/bindgen"
wasm-split-cli "$input" "$work/split" --out-name "$name"
wasm-bindgen --target=web --keep-lld-exports --no-demangle --no-typescript \
  --out-dir "$work/bindgen" --out-name "$name" "$work/split/$name.wasm"

# Replaces every $2 by $3 in file $1, or fails if there is none: a changed
# wasm-bindgen or wasm-split output must stop the build, not ship a broken app.
replace() {
  grep -q -F -- "$2" "$1" || fail "$2 is not in $1"
  sed -i "s#$2#$3#g" "$1"
}

# The main part and its JavaScript, under Trunk's names; the JavaScript
# imports the chunks' loader from the hashed folder (the module's own name
# for it, the key of its imports, stays), which imports it back.
chunks="$stage/$hashed"
mkdir -p "$chunks"
wasm-opt -Oz --converge --enable-bulk-memory --enable-nontrapping-float-to-int \
  "$work/bindgen/${name}_bg.wasm" -o "$staged_wasm"
cp "$work/bindgen/$name.js" "${staged_js[0]}"
replace "${staged_js[0]}" 'from "./__wasm_split.js"' 'from "./'"$hashed"'/__wasm_split.js"'
cp "$work/split/__wasm_split.js" "$chunks/"
replace "$chunks/__wasm_split.js" '"./'"$name"'.js"' '"../'"$hashed"'.js"'

# The chunks, by two processes of app/optimise-chunks.mjs (binaryen's
# library, from the same npm package as wasm-opt). Their name sections are in
# a form binaryen warns about and drops: those warnings are left out.
binaryen="$(dirname "$(readlink -f "$(command -v wasm-opt)")")/../index.js"
count=$(find "$work/split" -name '*.wasm' ! -name "$name.wasm" | wc -l)
find "$work/split" -name '*.wasm' ! -name "$name.wasm" -print0 \
  | xargs -0 -P 2 -n $((count / 2 + 1)) node app/optimise-chunks.mjs "$binaryen" "$chunks" \
    2> >(grep -v '^warning: unknown name subsection' >&2)
echo "split-wasm: $count chunks in $chunks"

# Every file the browser fetches, gzipped beside it once and for all: the
# server sends `<file>.gz` to a browser that accepts gzip.
find "$stage" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \) -print0 \
  | xargs -0 gzip -9 -k -f
