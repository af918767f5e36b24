// Gives a module's imports and exports one- or two-letter names in its wasm-bindgen
// glue, after `wasm-opt --minify-imports-and-exports-and-modules` renamed them in the
// module: wasm-bindgen's names carry a 16-hex-digit hash each, written once in the
// module and once in the glue, which brotli cannot compress away.
//
//   node js/names.js MAPPING.json GLUE.js     (rewrites GLUE.js in place)
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
  console.error("names.js: " + message);
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

const modules = new Set();
for (const [module, old, name] of mapping.imports) {
  modules.add(module);
  // An import is a key of the object the glue hands to the instance: `old: function`.
  replace(new RegExp(`(?<![\\w$])${escape(old)}(?=\\s*:)`, "g"), name, 1, `import ${old}`);
}
for (const module of modules) {
  replace(new RegExp(`(["'])${escape(module)}\\1(?=\\s*:)`, "g"), '"a"', 1, `module ${module}`);
}
for (const [old, name] of mapping.exports) {
  // The glue reads exports as `wasm.old`.
  replace(new RegExp(`\\bwasm\\.${escape(old)}(?![\\w$])`, "g"), `wasm.${name}`, undefined, `export ${old}`);
}
fs.writeFileSync(glueFile, glue);
