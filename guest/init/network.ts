/**
 * Networking for QEMU user-mode networking (slirp): static addresses from guest-layout.ts, applied
 * with busybox ip. The plan is pure so that tests see exactly what runs.
 */
import { writeFile } from 'node:fs/promises';
import { SLIRP } from '../api/guest-layout.js';
import { shellQuote } from './environment.js';
import { runCommand } from './run-command.js';

export function networkCommands(device: string): string[][] {
  return [
    ['ip', 'link', 'set', 'lo', 'up'],
    ['ip', 'link', 'set', device, 'up'],
    ['ip', 'addr', 'add', `${SLIRP.guestAddress}/${SLIRP.prefixLength}`, 'dev', device],
    ['ip', 'route', 'add', 'default', 'via', SLIRP.gateway, 'dev', device],
  ];
}

export function resolvConf(): string {
  return `# written by tsd-init: QEMU user-mode networking's DNS forwarder\nnameserver ${SLIRP.dns}\n`;
}

export async function configureNetwork(device = 'eth0'): Promise<void> {
  // One shell for the four commands: each spawn from Node costs tens of ms under tcg.
  const script = ['set -e', ...networkCommands(device).map((argv) => argv.map(shellQuote).join(' '))].join('\n');
  await Promise.all([runCommand(['/bin/sh', '-c', script]), writeFile('/etc/resolv.conf', resolvConf())]);
}
