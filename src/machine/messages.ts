/** User-facing text of the machine commands, in one place. */
import { dockerContextName, dockerHost } from './paths.js';
import type { MachineStatus } from './status.js';

export function howToUse(status: MachineStatus, contextIsCurrent: boolean): string {
  const context = dockerContextName(status.name);
  const lines = [
    `machine "${status.name}" is running (${status.arch}, ${status.accel}, ${status.cpus} CPUs, ${status.memory} MiB)`,
    'Use it with:',
    `  docker --context ${context} ps`,
    `  export DOCKER_HOST=${dockerHost(status.dockerSocket)}`,
  ];
  if (!contextIsCurrent) lines.push(`or make it the default for the docker CLI: docker context use ${context}`);
  return lines.join('\n');
}

export function cleanedMessage(name: string, cleaned: string[]): string | undefined {
  return cleaned.length === 0 ? undefined : `machine "${name}": cleaned up after a crash: ${cleaned.join(', ')}`;
}

export function statusTable(statuses: MachineStatus[]): string {
  const header = ['NAME', 'STATE', 'ARCH', 'ACCEL', 'CPUS', 'MEMORY', 'UPTIME', 'DOCKER SOCKET'];
  const rows = statuses.map((s) => [
    s.name,
    s.state,
    s.arch,
    s.accel,
    String(s.cpus),
    `${s.memory} MiB`,
    s.uptimeSeconds === null ? '-' : formatUptime(s.uptimeSeconds),
    s.state === 'running' ? s.dockerSocket : '-',
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function formatUptime(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
}
