import { readFile } from 'node:fs/promises';
import { parseResolvConf } from '../container-files.js';

/**
 * The resolv.conf containers inherit. Like Docker: behind systemd-resolved (only 127.0.0.53 in
 * /etc/resolv.conf) the real upstreams are in /run/systemd/resolve/resolv.conf.
 */
export async function hostResolvConf(path?: string): Promise<string> {
  const text = await readFile(path ?? '/etc/resolv.conf', 'utf8').catch(() => '');
  if (path !== undefined || parseResolvConf(text).nameservers.join(' ') !== '127.0.0.53') return text;
  return await readFile('/run/systemd/resolve/resolv.conf', 'utf8').catch(() => text);
}
