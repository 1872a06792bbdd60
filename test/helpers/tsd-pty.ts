import { execFile } from 'node:child_process';

/**
 * Drives `tsd ARGS` (the CLI at `tsd`, run by this Node) on a python pty: a shell prompt, then
 * `stty size; echo $((6*7))x` at 30x100, a SIGWINCH to 40x120, `exit 5`; returns what the terminal
 * showed and `EXIT <code>` last.
 */
export function onPty(tsd: string, env: NodeJS.ProcessEnv, args: string[], timeoutMs = 120_000): Promise<string> {
  const script = `
import os, pty, sys, time, fcntl, termios, struct, signal, select
def setsize(fd, rows, cols): fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(sys.argv[1], sys.argv[1:], os.environ)
setsize(fd, 30, 100)
out = b''
def read_until(token, limit=60):
    global out
    end = time.time() + limit
    while token not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try: out += os.read(fd, 4096)
            except OSError: break
read_until(b'# ')
os.write(fd, b'stty size; echo $((6*7))x\\n')
read_until(b'42x')
setsize(fd, 40, 120); os.kill(pid, signal.SIGWINCH)
for attempt in range(20):
    if b'40 120' in out: break
    os.write(fd, b'stty size\\n')
    read_until(b'40 120', 2)
os.write(fd, b'exit 5\\n')
_, status = os.waitpid(pid, 0)
try:
    while True:
        chunk = os.read(fd, 4096)
        if not chunk: break
        out += chunk
except OSError: pass
sys.stdout.write(out.decode(errors='replace'))
sys.stdout.write('\\nEXIT %d\\n' % os.waitstatus_to_exitcode(status))
`;
  return new Promise<string>((resolve, reject) =>
    execFile('python3', ['-c', script, process.execPath, tsd, ...args], { env, timeout: timeoutMs }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
}
