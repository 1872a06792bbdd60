/**
 * The machine's env (GuestConfig.env) for everything started in the guest: a JSON file the SSH
 * server and services read, and a profile script for interactive shells.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const ENV_JSON_PATH = '/run/tsd/env.json';
export const PROFILE_SCRIPT_PATH = '/etc/profile.d/tsd-env.sh';

/** Single-quotes a value for sh: every ' becomes '\''. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function profileScript(env: Record<string, string>): string {
  const lines = Object.entries(env).map(([key, value]) => `export ${key}=${shellQuote(value)}`);
  return `# written by tsd-init from the machine file's env\n${lines.join('\n')}\n`;
}

/** /etc/profile for busybox sh login shells: PATH, a prompt, then /etc/profile.d/*.sh. */
export const ETC_PROFILE = `export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PS1='\\h:\\w\\$ '
for script in /etc/profile.d/*.sh; do [ -r "$script" ] && . "$script"; done
unset script
`;

export async function writeEnvironment(env: Record<string, string>): Promise<void> {
  for (const path of [ENV_JSON_PATH, PROFILE_SCRIPT_PATH]) await mkdir(dirname(path), { recursive: true });
  await writeFile(ENV_JSON_PATH, JSON.stringify(env));
  await writeFile(PROFILE_SCRIPT_PATH, profileScript(env));
  await writeFile('/etc/profile', ETC_PROFILE, { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}
