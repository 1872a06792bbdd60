/** The machine's host name: kernel, /etc/hostname and /etc/hosts agree. */
import { writeFile } from 'node:fs/promises';

export function hostsFile(hostname: string): string {
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`;
}

export async function setHostname(hostname: string): Promise<void> {
  await writeFile('/proc/sys/kernel/hostname', hostname);
  await writeFile('/etc/hostname', `${hostname}\n`);
  await writeFile('/etc/hosts', hostsFile(hostname));
}
