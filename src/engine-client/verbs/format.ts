/**
 * Rendering shared by ps and images, in docker's words: a table padded like Go's tabwriter
 * (3 spaces between columns), "2 minutes ago", "4.26MB", "0.0.0.0:8080->80/tcp". Pure.
 */
import type { ContainerSummary } from '../engine-types.js';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]! + 3))).join('').trimEnd();
  return [line(header), ...rows.map(line)].map((text) => `${text}\n`).join('');
}

/** Go's units.HumanDuration, as docker prints "Up 2 minutes" / "2 minutes ago". */
export function humanDuration(seconds: number): string {
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

export function ago(unixSeconds: number, nowMs: number): string {
  return `${humanDuration(Math.max(0, Math.floor(nowMs / 1000) - unixSeconds))} ago`;
}

/** Go's units.HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${Number(value.toPrecision(3))}${units[unit]}`;
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export function formatPorts(ports: ContainerSummary['Ports']): string {
  return [...ports]
    .sort((a, b) => a.PrivatePort - b.PrivatePort || (a.PublicPort ?? 0) - (b.PublicPort ?? 0))
    .map((port) => {
      const inside = `${port.PrivatePort}/${port.Type}`;
      if (port.PublicPort === undefined || port.PublicPort === 0) return inside;
      const ip = port.IP ?? '0.0.0.0';
      return `${ip.includes(':') ? `[${ip}]` : ip}:${port.PublicPort}->${inside}`;
    })
    .join(', ');
}

/** docker ps truncates the command to 20 characters inside quotes, ending with "…". */
export function truncateCommand(command: string): string {
  const chars = [...command];
  return `"${chars.length > 20 ? `${chars.slice(0, 19).join('')}…` : command}"`;
}
