/**
 * Step 4: a MachineConfig → YAML, every key explicit (sizes with units), in template order.
 * Used to save a machine's resolved config (machines/<name>/machine.yaml), so that a machine
 * keeps its settings when the host's defaults change; parsing it back gives the same config.
 */
import { stringify } from 'yaml';
import type { MachineConfig } from './machine-config.js';
import { MACHINE_KEYS } from './machine-file.js';
import { formatSize } from './sizes.js';

export function formatMachineConfig(config: MachineConfig, header?: string): string {
  const plain: Record<string, unknown> = {};
  for (const key of MACHINE_KEYS) plain[key] = config[key];
  plain['memory'] = formatSize(config.memory, 'MiB');
  plain['disk'] = formatSize(config.disk, 'GiB');
  const body = stringify(plain, { lineWidth: 0 });
  const comment = header ? header.split('\n').map((line) => `# ${line}`.trimEnd()).join('\n') + '\n' : '';
  return comment + body;
}
