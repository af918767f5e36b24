// Build tool (not shipped): writes a wasm module into its minified bundle as a string
// literal, one character per byte, and marks the file as UTF-8.
//
//   node js/inline.js BUNDLE.js MODULE.wasm     (rewrites BUNDLE.js in place)
//
// The bundle holds the placeholder "__SPUR_WASM_BYTES__" once (the argument of the
// glue's `wasm_bindgen`, see js/glue.js); it becomes the module's bytes, each byte the
// character of that code point (U+0000 to U+00FF), so that the glue reads them back
// with `charCodeAt`. In the UTF-8 file a byte below 0x80 is itself and one above takes
// two: brotli compresses the literal to about 3 % more than the module on its own
// (base64 would be 28 % more), and the page makes one request instead of two.
//
// Only the four characters a double-quoted literal cannot hold raw are escaped (`\`,
// `"`, line feed, carriage return). The file starts with a byte order mark: a page in
// another encoding (windows-1252, say), or a server that names no charset, would
// otherwise decode the bytes above 0x7f differently, and the BOM takes precedence over
// both.
"use strict";
const fs = require("fs");

const [bundleFile, moduleFile] = process.argv.slice(2);
const bundle = fs.readFileSync(bundleFile, "utf8");
const bytes = fs.readFileSync(moduleFile);
const placeholder = '"__SPUR_WASM_BYTES__"';
const at = bundle.indexOf(placeholder);
if (at < 0 || bundle.indexOf(placeholder, at + 1) >= 0) {
  console.error(`inline.js: ${bundleFile} must hold ${placeholder} exactly once`);
  process.exit(1);
}
const ESCAPES = { 0x5c: "\\\\", 0x22: '\\"', 0x0a: "\\n", 0x0d: "\\r" };
let literal = '"';
for (const b of bytes) literal += ESCAPES[b] || String.fromCharCode(b);
literal += '"';
fs.writeFileSync(bundleFile, "\ufeff" + bundle.slice(0, at) + literal + bundle.slice(at + placeholder.length), "utf8");
