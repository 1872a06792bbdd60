/** The environment of an SSH session: a root login's defaults, the machine's env, then the client's env requests. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function sessionEnv(machineEnv: Record<string, string>, requested: Record<string, string>, term?: string): NodeJS.ProcessEnv {
  return {
    PATH: DEFAULT_PATH,
    HOME: '/root',
    USER: 'root',
    LOGNAME: 'root',
    SHELL: '/bin/sh',
    ...machineEnv,
    ...requested,
    ...(term ? { TERM: term } : {}),
  };
}
