// Optimises the web app's split chunks for size (wasm-opt's -Oz), all in
// one process: app/split-wasm.sh makes a few hundred small chunks, and the
// wasm-opt command (binaryen compiled to WebAssembly, from npm) spends a
// second starting up for each one; its library, loaded once, spends
// milliseconds on most.
//
// Usage: node app/optimise-chunks.mjs BINARYEN_INDEX_JS OUT_DIR CHUNK.wasm...
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [binaryenPath, outDir, ...chunks] = process.argv.slice(2);
const { default: binaryen } = await import(pathToFileURL(binaryenPath).href);

// -Oz, with the features index.html's wasm-opt flags enable.
binaryen.setOptimizeLevel(2);
binaryen.setShrinkLevel(2);
const F = binaryen.Features;
const features =
  F.MVP | F.MutableGlobals | F.SignExt | F.Multivalue | F.ReferenceTypes |
  F.BulkMemory | F.BulkMemoryOpt | F.CallIndirectOverlong | F.NontrappingFPToInt;

for (const chunk of chunks) {
  const module = binaryen.readBinary(fs.readFileSync(chunk));
  module.setFeatures(features);
  module.optimize();
  if (!module.validate()) {
    throw new Error(`${chunk} does not validate after optimisation`);
  }
  fs.writeFileSync(path.join(outDir, path.basename(chunk)), module.emitBinary());
  module.dispose();
}
