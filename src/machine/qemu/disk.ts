/** The data disk: a sparse qcow2 created once, at `tsd machine create`, with qemu-img. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TsdError } from '../../../guest/api/errors.js';

const run = promisify(execFile);

export async function createDataDisk(qemuImg: string, path: string, sizeGiB: number): Promise<void> {
  try {
    await run(qemuImg, ['create', '-q', '-f', 'qcow2', path, `${sizeGiB}G`]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new TsdError('internal', `qemu-img could not create ${path}: ${stderr.trim() || String(error)}`, { cause: error });
  }
}
