#!/usr/bin/env node
// Reads ava's TAP output on stdin, echoes it, and ends with the one line CI reads:
// "N passed, N failed". The runner's exit status arrives as a last line "# exit-status N".
// Exits non-zero when any test failed, the runner failed, or no test ran.
import { createInterface } from 'node:readline';

let passed = 0;
let failed = 0;
let skipped = 0;
let runnerStatus = 0;
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const status = /^# exit-status (\d+)$/.exec(line);
  if (status) {
    runnerStatus = Number(status[1]);
    continue;
  }
  process.stdout.write(`${line}\n`);
  if (/^not ok \d+/.test(line)) {
    if (/# (SKIP|TODO)/i.test(line)) skipped++;
    else failed++;
  } else if (/^ok \d+/.test(line)) {
    if (/# (SKIP|TODO)/i.test(line)) skipped++;
    else passed++;
  }
}
if (runnerStatus !== 0 && failed === 0) failed = 1; // the runner crashed or a file failed to load
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
