#!/usr/bin/env node
/**
 * The host agent process: `node dist/src/agent/main.js <machineDir>`. The CLI spawns it detached
 * with stdout and stderr appended to the machine's agent.log; see agent.ts.
 */
import { runAgentForDirectory } from './agent.js';

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
const machineDir = process.argv[2];
if (machineDir === undefined) {
  process.stderr.write('usage: node dist/src/agent/main.js <machineDir>\n');
  process.exit(2);
}
process.on('uncaughtException', (error) => log(`uncaught: ${error.stack ?? error.message}`));
process.on('unhandledRejection', (error) => log(`unhandled rejection: ${String(error)}`));
process.exitCode = await runAgentForDirectory(machineDir, log);
log(`agent exits with ${process.exitCode}`);
process.exit();
