/**
 * The defaults dockerd fills into a HostConfig at create (so inspect shows them): swap twice the
 * memory, a 64 MiB /dev/shm, the bridge network, json-file logging, an empty restart policy "no".
 * Also the create-time checks that are not about resources (restart policy, AutoRemove).
 */
import { TsdError } from '../../../api/errors.js';
import type { HostConfig } from '../docker-types.js';

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

export function withHostDefaults(input: HostConfig | undefined): HostConfig {
  const host: HostConfig = { ...(input ?? {}) };
  if ((host.Memory ?? 0) > 0 && (host.MemorySwap ?? 0) === 0) host.MemorySwap = host.Memory! * 2;
  if (!host.ShmSize) host.ShmSize = DEFAULT_SHM_SIZE;
  if (!host.NetworkMode || host.NetworkMode === 'default') host.NetworkMode = 'bridge';
  if (!host.LogConfig?.Type) host.LogConfig = { Type: 'json-file', Config: host.LogConfig?.Config ?? {} };
  if (!host.RestartPolicy?.Name) host.RestartPolicy = { Name: 'no', MaximumRetryCount: host.RestartPolicy?.MaximumRetryCount ?? 0 };
  return host;
}

const POLICIES = ['no', 'always', 'on-failure', 'unless-stopped'];

export function validateHostConfig(host: HostConfig): void {
  const policy = host.RestartPolicy ?? {};
  const name = policy.Name ?? '';
  const retries = policy.MaximumRetryCount ?? 0;
  if (name !== '' && !POLICIES.includes(name)) {
    throw new TsdError('invalid-argument', `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (retries < 0) throw new TsdError('invalid-argument', 'invalid restart policy: maximum retry count cannot be negative');
  if (retries > 0 && name !== 'on-failure') {
    throw new TsdError('invalid-argument', "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  }
  if (host.AutoRemove && name !== '' && name !== 'no') {
    throw new TsdError('invalid-argument', "can't create 'AutoRemove' container with restart policy");
  }
  const logType = host.LogConfig?.Type;
  if (logType && logType !== 'json-file' && logType !== 'none') {
    throw new TsdError('invalid-argument', `failed to create logger: logger: no log driver named '${logType}' is registered`);
  }
  for (const key of Object.keys(host.Sysctls ?? {})) validateSysctl(key, host.NetworkMode ?? 'bridge');
}

/** Docker allows namespaced sysctls only: kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.* (not with host networking). */
export function validateSysctl(key: string, networkMode: string): void {
  const ipc = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];
  if (ipc.includes(key) || key.startsWith('fs.mqueue.')) return;
  if (key.startsWith('net.')) {
    if (networkMode === 'host') throw new TsdError('invalid-argument', `sysctl '${key}' not allowed in host network namespace`);
    return;
  }
  throw new TsdError('invalid-argument', `sysctl '${key}' is not allowed`);
}
