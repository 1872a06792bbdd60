/**
 * Pid files that are never trusted blindly: each holds {pid, startToken}, and a pid counts only
 * while isOurProcess() says it is still the same process running for this machine directory.
 * The agent takes its pid file exclusively (O_EXCL), which is also the machine's start lock.
 */
import { open, rm } from 'node:fs/promises';
import { TsdError } from '../../guest/api/errors.js';
import { readJsonIfExists, writeJsonAtomic } from './atomic-file.js';
import { isOurProcess, isProcessRecord, recordProcess, type ProcessRecord } from './process-identity.js';

/** The live process recorded in the file, or undefined when the file is missing or stale. */
export async function readLivePid(path: string, marker: string): Promise<ProcessRecord | undefined> {
  const record = await readJsonIfExists(path).catch(() => undefined); // a torn or corrupt file is stale
  return isProcessRecord(record) && isOurProcess(record, marker) ? record : undefined;
}

/** Records a process we started (QEMU), replacing any previous file atomically. */
export async function writePidFile(path: string, pid: number): Promise<ProcessRecord> {
  const record = recordProcess(pid);
  await writeJsonAtomic(path, record);
  return record;
}

/**
 * Takes the pid file for this process. Fails with 'conflict' when another live agent holds it;
 * a stale file (dead pid, or a pid now used by an unrelated process) is removed and retaken.
 */
export async function acquirePidFile(path: string, marker: string): Promise<ProcessRecord> {
  const record = recordProcess(process.pid);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const file = await open(path, 'wx', 0o600);
      try {
        await file.writeFile(`${JSON.stringify(record)}\n`);
        await file.sync();
      } finally {
        await file.close();
      }
      return record;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readLivePid(path, marker);
      if (holder !== undefined) throw new TsdError('conflict', `already running (agent pid ${holder.pid})`);
      await rm(path, { force: true });
    }
  }
  throw new TsdError('conflict', `could not take ${path}: another process keeps creating it`);
}
