/**
 * The machine file's provision commands: run once per boot, in order, after the data disk is
 * mounted, each through /bin/sh -c with the machine's env; output goes to provision.log.
 * A failing command is reported and the next one still runs.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GUEST_LOG_DIR } from '../api/guest-layout.js';
import { TsdError } from '../api/errors.js';

export const PROVISION_LOG = join(GUEST_LOG_DIR, 'provision.log');

export async function runProvision(commands: string[], env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  if (commands.length === 0) return;
  await mkdir(GUEST_LOG_DIR, { recursive: true });
  const out = createWriteStream(PROVISION_LOG, { flags: 'a' });
  const failed: number[] = [];
  try {
    for (const [index, command] of commands.entries()) {
      out.write(`--- [${new Date().toISOString()}] provision ${index + 1}/${commands.length}: ${command}\n`);
      const code = await new Promise<number>((resolve) => {
        const child = spawn('/bin/sh', ['-c', command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.pipe(out, { end: false });
        child.stderr.pipe(out, { end: false });
        child.on('error', () => resolve(127));
        child.on('close', (exitCode) => resolve(exitCode ?? 128));
      });
      out.write(`--- exit ${code}\n`);
      if (code !== 0) {
        failed.push(index + 1);
        log(`provision ${index + 1} failed with exit ${code}: ${command} (see ${PROVISION_LOG})`);
      }
    }
  } finally {
    await new Promise((resolve) => out.end(resolve));
  }
  if (failed.length > 0) throw new TsdError('internal', `provision commands ${failed.join(', ')} failed (see ${PROVISION_LOG})`);
}
