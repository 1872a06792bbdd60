/**
 * The helper that bin/tsd-runc started for this invocation (create and run, see
 * guest/native/front-helper.c): its pid and our end of its sync socket come in the environment,
 * which is taken and cleared at start-up so that nothing this process starts (hooks, a nested
 * tsd-runc) takes them for its own. No imports: main.ts loads this for every verb.
 */
export interface PreforkedHelper {
  pid: number;
  /** Our end of the sync socket (blocking). */
  fd: number;
}

let taken: PreforkedHelper | undefined;

/** Called once at start-up (main.ts). */
export function takePreforkedHelperFromEnv(): void {
  const fd = Number(process.env.TSD_RUNC_SYNC_FD);
  const pid = Number(process.env.TSD_RUNC_HELPER_PID);
  delete process.env.TSD_RUNC_SYNC_FD;
  delete process.env.TSD_RUNC_HELPER_PID;
  if (Number.isInteger(fd) && fd > 2 && Number.isInteger(pid) && pid > 0) taken = { fd, pid };
}

/** The pre-started helper, for the one startHelper() call that runs the init; then gone. */
export function claimPreforkedHelper(): PreforkedHelper | undefined {
  const helper = taken;
  taken = undefined;
  return helper;
}
