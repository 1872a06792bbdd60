/**
 * `tsd machine create`: validate the machine file first, then assemble the machine in a temp
 * directory beside its final place (machine.yaml verbatim, SSH keys, the qcow2 data disk) and
 * rename it into place, so a crash never leaves a half-created machine.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { parseMachineConfig } from '../config/load.js';
import type { MachineConfig } from '../config/machine-config.js';
import { defaultTemplatePath } from '../config/templates.js';
import { generateMachineKeys } from '../ssh/keys.js';
import { findProgram, hostSearch } from './qemu/binary.js';
import { createDataDisk } from './qemu/disk.js';
import { machinePaths, machinesDir, pathsIn, type MachinePaths } from './paths.js';

export interface CreatedMachine {
  paths: MachinePaths;
  config: MachineConfig;
}

async function readMachineFile(file: string | undefined): Promise<{ text: string; fileName: string }> {
  const fileName = file ?? defaultTemplatePath();
  try {
    return { text: await readFile(fileName, 'utf8'), fileName };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TsdError('not-found', `machine file not found: ${fileName}`, { cause: error });
    throw new TsdError('invalid-argument', `cannot read machine file ${fileName}: ${(error as Error).message}`, { cause: error });
  }
}

export async function createMachine(name: string, file?: string): Promise<CreatedMachine> {
  const paths = machinePaths(name);
  if (existsSync(paths.dir)) throw new TsdError('already-exists', `machine "${name}" already exists (${paths.dir})`);
  const { text, fileName } = await readMachineFile(file);
  const config = parseMachineConfig(text, fileName);
  const qemuImg = findProgram('qemu-img', hostSearch());

  await mkdir(machinesDir(), { recursive: true, mode: 0o700 });
  const temp = join(machinesDir(), `.${name}.creating-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { mode: 0o700 });
  try {
    const staged = pathsIn(name, temp);
    await writeFile(staged.config, text, { mode: 0o644 });
    await generateMachineKeys(staged, name);
    await createDataDisk(qemuImg, staged.disk, config.disk);
    await rename(temp, paths.dir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new TsdError('already-exists', `machine "${name}" already exists (${paths.dir})`);
    }
    throw error;
  }
  return { paths, config };
}
