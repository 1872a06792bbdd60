/**
 * `ctr run -t` needs a terminal of its own: this runs a command under script(1) on a pty of a
 * known window size, reads what the terminal shows, and once `shown` matches it, writes one line
 * to the terminal — the task waits for that line (`read line`) before it exits.
 *
 * Why the task must not exit right after its output: Debian's ctr (containerd 1.6.20) closes its
 * output fifos as soon as it learns that the task exited — the client's task.Delete calls
 * io.Close() before io.Wait() (containerd commit 34a93a0c, in 1.6.22 and 1.7.3, removed that
 * Close) — so what the task writes just before it exits can be dropped while the exit code still
 * comes back. Under load a run -t test saw exactly that (exit code right, none of the task's
 * output). With the line sent only after the output was seen, everything checked has passed
 * through ctr before the task exits. Keeping script's stdin open also means script sends no EOF
 * character to ctr's terminal (it does at stdin's end: ^D, which ctr forwarded to the task).
 */
import { spawn } from 'node:child_process';

export interface TerminalRun {
  /** script's exit code (the command's), null when it was killed at the time limit. */
  status: number | null;
  /** What the terminal showed. */
  output: string;
}

export function ctrOnTerminal(command: string, window: { rows: number; cols: number }, shown: RegExp, timeoutMs = 60_000): Promise<TerminalRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', `stty rows ${window.rows} cols ${window.cols}; ${command}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let released = false;
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (!released && shown.test(output)) {
        released = true;
        child.stdin.write('\n');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ status, output });
    });
  });
}
