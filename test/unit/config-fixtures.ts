/** Fake hosts and helpers shared by the config-*.test.ts files (pure logic: no real host needed). */
import type { ExecutionContext } from 'ava';
import type { HostInfo } from '../../src/config/host.js';
import { parseMachineConfig } from '../../src/config/load.js';
import { MachineFileError, type ConfigIssue } from '../../src/config/source.js';

export const linux: HostInfo = { platform: 'linux', arch: 'x86_64', cpus: 8, memoryMiB: 16384, homeDir: '/home/me', tempDir: '/tmp' };
export const mac: HostInfo = {
  platform: 'darwin',
  arch: 'aarch64',
  cpus: 10,
  memoryMiB: 32768,
  homeDir: '/Users/me',
  tempDir: '/var/folders/xy/abc123/T',
};
export const windows: HostInfo = {
  platform: 'win32',
  arch: 'x86_64',
  cpus: 2,
  memoryMiB: 8192,
  homeDir: 'C:\\Users\\me',
  tempDir: 'C:\\Users\\me\\AppData\\Local\\Temp',
};

/** Parses `text` expecting a MachineFileError; returns its issues after checking the code. */
export function issuesOf(t: ExecutionContext, text: string, host: HostInfo = linux): readonly ConfigIssue[] {
  const error = t.throws(() => parseMachineConfig(text, 'machine.yaml', host), { instanceOf: MachineFileError });
  t.is(error?.code, 'invalid-argument');
  return error?.issues ?? [];
}

/** The one issue `text` has; fails the test when there are none or several. */
export function issueOf(t: ExecutionContext, text: string, host: HostInfo = linux): ConfigIssue {
  const issues = issuesOf(t, text, host);
  t.is(issues.length, 1, issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return issues[0] ?? { path: '', message: '' };
}

/** YAML text from lines, so that line numbers in tests are easy to count. */
export function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}
