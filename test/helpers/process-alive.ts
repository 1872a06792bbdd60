/** Whether a process is alive: it exists and is not a zombie waiting for its parent to reap it. */
import { readFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // The state letter follows the command's closing parenthesis in /proc/PID/stat.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}
