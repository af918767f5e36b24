// Build tool (not shipped): raw, gzip -9 and brotli q11 sizes of the bundle files.
// Usage: node sizes.js FILE... ; prints a table to stderr and JSON to stdout:
//   {"files": {"spur.js": {"raw": n, "gzip": n, "brotli": n}, ...}, "total": {...}}
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

const measure = (bytes) => ({
  raw: bytes.length,
  gzip: zlib.gzipSync(bytes, { level: 9 }).length,
  brotli: zlib.brotliCompressSync(bytes, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  }).length,
});

const files = {};
const total = { raw: 0, gzip: 0, brotli: 0 };
for (const file of process.argv.slice(2)) {
  const m = measure(fs.readFileSync(file));
  files[path.basename(file)] = m;
  for (const k of Object.keys(total)) total[k] += m[k];
}

const row = (name, m) =>
  name.padEnd(10) + String(m.raw).padStart(8) + String(m.gzip).padStart(8) + String(m.brotli).padStart(8);
const lines = [row("file", { raw: "raw", gzip: "gzip", brotli: "brotli" })];
for (const [name, m] of Object.entries(files)) lines.push(row(name, m));
lines.push(row("total", total));
process.stderr.write(lines.join("\n") + "\n");
process.stdout.write(JSON.stringify({ files, total }, null, 2) + "\n");
