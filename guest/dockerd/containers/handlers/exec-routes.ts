/** POST /containers/{id}/exec, POST /exec/{id}/start (hijacked or detached), GET /exec/{id}/json, POST /exec/{id}/resize. */
import { TsdError } from '../../../api/errors.js';
import { sendJson } from '../../error-table.js';
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from '../io/detach-keys.js';
import { hijack } from '../../http/hijack.js';
import { checkShape, readJson } from '../../http/json-body.js';
import type { Router } from '../../router.js';
import { runExec } from '../exec/exec-process.js';
import { inspectExec, type ExecConfig, type ExecInstance, type ExecStore } from '../exec/exec-store.js';
import { newExecId } from '../exec/exec-process.js';
import type { ContainerService } from '../service/container-service.js';
import { outputContentType, writeOutput } from './stream-output.js';
import { readRequestJson } from './upgrade-body.js';

const EXEC_SHAPE = {
  name: 'ExecConfig',
  fields: { User: 'string', Privileged: 'bool', Tty: 'bool', AttachStdin: 'bool', AttachStdout: 'bool', AttachStderr: 'bool', Env: '[]string', Cmd: '[]string', WorkingDir: 'string', DetachKeys: 'string', ConsoleSize: 'array' },
} as const;

export function addExecRoutes(router: Router, service: ContainerService, execs: ExecStore): void {
  router.add('POST', '/containers/{id}/exec', async (req, res) => {
    const record = service.find(req.params.id!);
    const body = await readJson<Partial<ExecConfig>>(req.raw);
    checkShape(body, EXEC_SHAPE as never);
    if (!body.Cmd || body.Cmd.length === 0) throw new TsdError('invalid-argument', 'No exec command specified');
    if (body.DetachKeys) {
      try {
        parseDetachKeys(body.DetachKeys);
      } catch {
        throw new TsdError('invalid-argument', `Invalid escape keys (${body.DetachKeys}) provided`); // dockerd's wording for exec
      }
    }
    if (!record.State.Running) throw new TsdError('conflict', `container ${record.ID} is not running`);
    if (record.State.Paused) throw new TsdError('conflict', `container ${record.ID} is paused, unpause the container before exec`);
    const exec: ExecInstance = {
      id: newExecId(),
      containerId: record.ID,
      config: {
        User: body.User ?? '', Privileged: !!body.Privileged, Tty: !!body.Tty, AttachStdin: !!body.AttachStdin, AttachStdout: !!body.AttachStdout,
        AttachStderr: !!body.AttachStderr, Env: body.Env ?? null, Cmd: body.Cmd, WorkingDir: body.WorkingDir ?? '', DetachKeys: body.DetachKeys ?? '',
        ConsoleSize: body.ConsoleSize ?? null,
      },
      running: false,
      started: false,
      exitCode: null,
      pid: 0,
    };
    execs.add(exec);
    if (execs.ofContainer(record.ID).length === 1) service.live(record.ID).once('removed', () => execs.forgetContainer(record.ID));
    service.event(record, `exec_create: ${exec.config.Cmd.join(' ')}`, { execID: exec.id });
    sendJson(res, 201, { Id: exec.id });
  });

  router.add('POST', '/exec/{id}/start', async (req, res) => {
    const exec = execs.get(req.params.id!);
    const body = (await readRequestJson<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] }>(req)) ?? {};
    if (exec.started) throw new TsdError('conflict', `Error: Exec command ${exec.id} has already run`);
    const record = service.find(exec.containerId);
    if (!record.State.Running) throw new TsdError('conflict', `container ${record.ID} is not running`);
    exec.started = true;
    const tty = exec.config.Tty;
    const options = { cmd: exec.config.Cmd, env: exec.config.Env ?? [], user: exec.config.User, workingDir: exec.config.WorkingDir, tty, stdin: exec.config.AttachStdin && !body.Detach, privileged: exec.config.Privileged, consoleSize: body.ConsoleSize ?? exec.config.ConsoleSize ?? undefined };
    // Attached: hijack first so that a process that cannot start is reported in the stream and
    // through the exec's exit code (126/127), which the CLI reads afterwards, as with Docker.
    const attached = body.Detach ? undefined : hijack(req, res, { contentType: outputContentType(tty, req.apiVersion) });
    let running;
    try {
      running = await runExec(service, record, options, exec.id, (stdio) =>
        stdio.on('data', (stream: 'stdout' | 'stderr', chunk: Buffer) => {
          if (!attached) return;
          if ((stream === 'stdout' && exec.config.AttachStdout) || (stream === 'stderr' && exec.config.AttachStderr)) writeOutput(attached.socket, tty, stream, chunk);
        }),
      );
    } catch (error) {
      const message = (error as Error).message;
      exec.exitCode = /executable file not found|no such file or directory/.test(message) ? 127 : 126;
      if (!attached) throw error instanceof TsdError && error.code !== 'internal' ? error : new TsdError('internal', message, { cause: error });
      writeOutput(attached.socket, tty, 'stderr', Buffer.from(`OCI runtime exec failed: ${message}\r\n`));
      attached.close();
      return;
    }
    exec.running = true;
    exec.pid = running.pid;
    exec.stdio = running.stdio;
    service.event(record, `exec_start: ${exec.config.Cmd.join(' ')}`, { execID: exec.id });
    const finished = running.exited.then(async (code) => {
      exec.exitCode = code;
      exec.running = false;
      service.event(record, 'exec_die', { execID: exec.id, exitCode: String(code) });
      return code;
    });
    if (!attached) {
      void finished.then(() => running.stdio.close());
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}\n');
      return;
    }
    const { socket, close } = attached;
    const stdin = running.stdio.stdin;
    if (stdin) {
      // With a tty the detach keys end the attach and leave the process running, as with attach.
      const scanner = tty ? new DetachScanner(parseDetachKeys(exec.config.DetachKeys || DEFAULT_DETACH_KEYS)) : undefined;
      const onInput = (chunk: Buffer): void => {
        const { forward, detached } = scanner ? scanner.push(chunk) : { forward: chunk, detached: false };
        if (forward.length > 0) stdin.write(forward);
        if (!detached) return;
        socket.off('data', onInput);
        socket.removeAllListeners('end');
        close();
      };
      socket.on('data', onInput);
      socket.resume(); // reading the start body from the socket may have left it paused
      socket.once('end', () => {
        running.stdio.closeStdin();
        void service.deps.containerd.tasks.closeStdin(record.ID, exec.id).catch(() => undefined);
      });
    } else {
      socket.resume();
    }
    // The stream ends once the process exited and its output is drained.
    const drained = new Promise<void>((resolve) => (running.stdio.ended ? resolve() : running.stdio.once('end', () => resolve())));
    await finished;
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 2000))]);
    await running.stdio.close();
    close();
  });

  router.add('GET', '/exec/{id}/json', (req, res) => {
    sendJson(res, 200, inspectExec(execs.get(req.params.id!)));
  });

  router.add('POST', '/exec/{id}/resize', async (req, res) => {
    const exec = execs.get(req.params.id!);
    if (!exec.running) throw new TsdError('conflict', `exec ${exec.id} is not running`);
    await service.deps.containerd.tasks.resizePty(exec.containerId, exec.id, Number(req.query.get('w') ?? 0), Number(req.query.get('h') ?? 0));
    res.writeHead(200);
    res.end();
  });
}
