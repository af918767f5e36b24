// Trims a module's wasm-bindgen glue (`--target no-modules`) to what the loader uses:
//
// 1. Short names: gives the module's imports and exports one- or two-letter names in
//    the glue, after `wasm-opt --minify-imports-and-exports-and-modules` renamed them in
//    the module: wasm-bindgen's names carry a 16-hex-digit hash each, written once in
//    the module and once in the glue, which brotli cannot compress away.
// 2. One way in: the glue's `wasm_bindgen` becomes a function of the module's bytes
//    (as a string, one character per byte: build.sh writes them into the bundle with
//    js/inline.js) that compiles and instantiates it synchronously. wasm-bindgen's own
//    entry points fetch the module (a URL, a Response, bytes or a Module), find it next
//    to `document.currentScript` and warn about deprecated parameters: none of that is
//    used, and it was a fifth of the glue.
//
//   node js/glue.js MAPPING.json GLUE.js     (rewrites GLUE.js in place)
//
// MAPPING.json is what that wasm-opt pass prints: {"imports": [[module, old, new], …],
// "exports": [[old, new], …]}; every import module becomes "a". Fails (exit 1) when the
// glue does not have the shape this expects, so a wasm-bindgen upgrade cannot silently
// produce a bundle that does not load.
"use strict";
const fs = require("fs");

const [mappingFile, glueFile] = process.argv.slice(2);
const mapping = JSON.parse(fs.readFileSync(mappingFile, "utf8"));
let glue = fs.readFileSync(glueFile, "utf8");

function fail(message) {
  console.error("glue.js: " + message);
  process.exit(1);
}

function replace(pattern, by, expected, what) {
  let n = 0;
  glue = glue.replace(pattern, () => {
    n++;
    return by;
  });
  if (expected !== undefined && n !== expected) fail(`${what}: ${n} occurrences, expected ${expected}`);
  return n;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// 1. Short names.
const modules = new Set();
for (const [module, old, name] of mapping.imports) {
  modules.add(module);
  // An import is a key of the object the glue hands to the instance: `old: function`.
  replace(new RegExp(`(?<![\\w$])${escape(old)}(?=\\s*:)`, "g"), name, 1, `import ${old}`);
}
// An import the optimised module no longer has (wasm-opt removed its last call) is
// not in the mapping: its entry goes.
const imported = new Set(mapping.imports.map(([, old]) => old));
glue = glue.replace(
  /\n {12}(__wbg_\w+|__wbindgen_\w+): function\([^)]*\) \{\n[\s\S]*?\n {12}\},/g,
  (entry, name) => (imported.has(name) ? entry : "")
);
for (const module of modules) {
  replace(new RegExp(`(["'])${escape(module)}\\1(?=\\s*:)`, "g"), '"a"', 1, `module ${module}`);
}
for (const [old, name] of mapping.exports) {
  // The glue reads exports as `wasm.old`.
  replace(new RegExp(`\\bwasm\\.${escape(old)}(?![\\w$])`, "g"), `wasm.${name}`, undefined, `export ${old}`);
}

// 2. The entry points: everything from wasm-bindgen's loader to the end of the glue.
const start = glue.indexOf("\n    async function __wbg_load(");
const end = glue.indexOf("\n    return Object.assign(__wbg_init, { initSync }, exports);\n})(");
if (start < 0 || end < start) fail("wasm-bindgen's entry points are not where they were");
glue =
  glue.slice(0, start) +
  `
    // The module's bytes, one character each (build.sh writes them into the bundle as a
    // string), compiled and instantiated synchronously: the tracker is ready in the task
    // that runs its script instead of waiting for a fetch and then for the main thread.
    function __wbg_init(text) {
        let bytes;
        if (Uint8Array.fromBase64) {
            // Native both ways: 0.3 ms for the tracker's module, where the loop below,
            // run once and so not optimised, took 2-10 ms.
            bytes = Uint8Array.fromBase64(btoa(text));
        } else {
            bytes = new Uint8Array(text.length);
            for (let i = 0; i < bytes.length; i++) bytes[i] = text.charCodeAt(i);
        }
        const module = new WebAssembly.Module(bytes);
        return __wbg_finalize_init(new WebAssembly.Instance(module, __wbg_get_imports()), module);
    }

    return Object.assign(__wbg_init, exports);
})(` +
  glue.slice(end + "\n    return Object.assign(__wbg_init, { initSync }, exports);\n})(".length);
// wasm-bindgen's guess of the module's URL (next to the glue's own script), which only
// the entry points replaced above used.
replace(
  /\n    let script_src;\n    if \(typeof document !== 'undefined' && document\.currentScript !== null\) \{\n        script_src = new URL\(document\.currentScript\.src, location\.href\)\.toString\(\);\n    \}\n/,
  "\n",
  1,
  "script_src"
);
fs.writeFileSync(glueFile, glue);
