// Build tool (not shipped): compresses each bundle once, as the collector serves it
// (`<name>.br`, brotli q11, and `<name>.gz`, gzip -9, next to it in PKG_DIR), prints
// their raw, gzip and brotli sizes and checks the byte budget: the figures are the
// bytes a page downloads.
//
// Usage: node sizes.js PKG_DIR BUDGET_JSON
// Prints a table to stderr and JSON to stdout:
//   {"files": {"spur.js": {"raw", "gzip", "brotli"}, ...},
//    "core": {...}, "with_widgets": {...}, "budget": {"core": n, "with_widgets": n}}
// "core" is what every page downloads (spur.js, its wasm module inside); "with_widgets"
// adds the widget bundle a page with a rating widget fetches (spur-widgets.js, its
// module inside). Exits with 1 when a brotli total
// is over its budget.
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

// Writes FILE.gz and FILE.br and answers the three sizes.
const compress = (file) => {
  const bytes = fs.readFileSync(file);
  const gzip = zlib.gzipSync(bytes, { level: 9 });
  const brotli = zlib.brotliCompressSync(bytes, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  fs.writeFileSync(file + ".gz", gzip);
  fs.writeFileSync(file + ".br", brotli);
  return { raw: bytes.length, gzip: gzip.length, brotli: brotli.length };
};

const [dir, budgetFile] = process.argv.slice(2);
const budget = JSON.parse(fs.readFileSync(budgetFile, "utf8"));
const CORE = ["spur.js"];
const WIDGETS = ["spur-widgets.js"];

const files = {};
for (const name of [...CORE, ...WIDGETS]) files[name] = compress(path.join(dir, name));
const sum = (names) => {
  const t = { raw: 0, gzip: 0, brotli: 0 };
  for (const n of names) for (const k of Object.keys(t)) t[k] += files[n][k];
  return t;
};
const core = sum(CORE);
const withWidgets = sum([...CORE, ...WIDGETS]);

const row = (name, m, limit) =>
  name.padEnd(18) +
  String(m.raw).padStart(8) +
  String(m.gzip).padStart(8) +
  String(m.brotli).padStart(8) +
  (limit === undefined ? "" : String(limit).padStart(8));
const lines = [row("file", { raw: "raw", gzip: "gzip", brotli: "brotli" }, "budget")];
for (const [name, m] of Object.entries(files)) lines.push(row(name, m));
lines.push(row("core", core, budget.core));
lines.push(row("with widgets", withWidgets, budget.with_widgets));
process.stderr.write(lines.join("\n") + "\n");
process.stdout.write(JSON.stringify({ files, core, with_widgets: withWidgets, budget }, null, 2) + "\n");

const over = [];
if (core.brotli > budget.core) over.push(`core ${core.brotli} B > ${budget.core} B`);
if (withWidgets.brotli > budget.with_widgets)
  over.push(`with widgets ${withWidgets.brotli} B > ${budget.with_widgets} B`);
if (over.length) {
  process.stderr.write(`sizes.js: over the byte budget (brotli): ${over.join(", ")}\n`);
  process.exit(1);
}
