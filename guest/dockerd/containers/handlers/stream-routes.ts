/** logs, attach and resize: container output to clients, client input to the container. */
import { TsdError } from '../../../api/errors.js';
import { hijack } from '../../http/hijack.js';
import { queryBool } from '../../http/json-body.js';
import type { ApiRequest, Router } from '../../router.js';
import type { LogStream } from '../io/json-log.js';
import { parseLogTime, parseTail, type LogQuery } from '../io/log-reader.js';
import { parseLogRotation } from '../io/log-options.js';
import type { ContainerService } from '../service/container-service.js';
import type { ContainerRecord } from '../store/container-record.js';
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from '../io/detach-keys.js';
import { OutputBatcher, outputContentType, writeOutput } from './stream-output.js';
import { streamLog, type EntryFormat } from './log-stream.js';

/** The log's max-file (how many rotated files to read); a config that cannot start reads the current file only. */
function logMaxFiles(record: ContainerRecord): number {
  try {
    return parseLogRotation(record.HostConfig.LogConfig?.Config ?? {}).maxFiles;
  } catch {
    return 1;
  }
}

function streamsOf(req: ApiRequest): Set<LogStream> {
  const streams = new Set<LogStream>();
  if (queryBool(req.query, 'stdout')) streams.add('stdout');
  if (queryBool(req.query, 'stderr')) streams.add('stderr');
  return streams;
}

export function addStreamRoutes(router: Router, service: ContainerService): void {
  router.add('GET', '/containers/{id}/logs', async (req, res) => {
    const record = service.find(req.params.id!);
    const streams = streamsOf(req);
    if (streams.size === 0) throw new TsdError('invalid-argument', 'You must choose at least one stream');
    if (record.HostConfig.LogConfig?.Type === 'none') throw new TsdError('invalid-argument', 'configured logging driver does not support reading');
    const query: LogQuery = { streams, sinceNs: parseLogTime(req.query.get('since'), 'since'), untilNs: parseLogTime(req.query.get('until'), 'until'), tail: parseTail(req.query.get('tail')) };
    // With `until`, following ends at the first entry after it (see log-stream.ts), as in Docker.
    const follow = queryBool(req.query, 'follow');
    const format: EntryFormat = { timestamps: queryBool(req.query, 'timestamps'), details: queryBool(req.query, 'details') };
    const tty = !!record.Config.Tty;
    res.writeHead(200, { 'Content-Type': outputContentType(tty, req.apiVersion) });
    res.flushHeaders();
    const out = new OutputBatcher(res, tty);
    const live = follow && record.State.Running ? service.live(record.ID) : undefined;
    await streamLog(record.LogPath, query, format, out, { maxFiles: logMaxFiles(record), live, writer: service.live(record.ID).log });
    if (!out.gone) res.end();
  });

  router.add('POST', '/containers/{id}/attach', async (req, res) => {
    const record = service.find(req.params.id!);
    const tty = !!record.Config.Tty;
    const streams = streamsOf(req);
    const wantStdin = queryBool(req.query, 'stdin') && !!record.Config.OpenStdin;
    const wantStream = queryBool(req.query, 'stream');
    const replay = queryBool(req.query, 'logs');
    // Checked even when unused, as dockerd does: bad keys are a 400 before the stream starts.
    const detachKeys = parseDetachKeys(req.query.get('detachKeys') || DEFAULT_DETACH_KEYS);
    const { socket, close } = hijack(req, res, { contentType: outputContentType(tty, req.apiVersion) });
    service.event(record, 'attach');
    if (replay && record.LogPath) {
      const out = new OutputBatcher(socket, tty);
      await streamLog(record.LogPath, { streams, sinceNs: 0n, untilNs: 0n, tail: -1 }, { timestamps: false, details: false }, out, { maxFiles: logMaxFiles(record), writer: service.live(record.ID).log });
      if (out.gone) return;
    }
    if (!wantStream) {
      close();
      return;
    }
    attachClient(service, record, socket, { streams, stdin: wantStdin, tty, detachKeys, close });
  });

  router.add('POST', '/containers/{id}/resize', async (req, res) => {
    const record = service.find(req.params.id!);
    if (!record.State.Running) throw new TsdError('conflict', `cannot resize a container that is not running: container ${record.ID} is not running`);
    const height = Number(req.query.get('h') ?? 0);
    const width = Number(req.query.get('w') ?? 0);
    if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0) throw new TsdError('invalid-argument', 'invalid resize dimensions');
    await service.deps.containerd.tasks.resizePty(record.ID, '', width, height);
    res.writeHead(200);
    res.end();
  });
}

/**
 * One attached client: output of the current (or next) run to it, its bytes to the container's
 * stdin. The connection ends when the run's output ends. Without a tty, the client closing its
 * side closes stdin when the container has StdinOnce. With a tty (as in dockerd) the container's
 * stdin stays open: the client ending its input, or typing the detach keys, ends only the attach.
 */
function attachClient(
  service: ContainerService,
  record: ContainerRecord,
  socket: import('node:stream').Duplex,
  options: { streams: Set<LogStream>; stdin: boolean; tty: boolean; detachKeys: Buffer; close(): void },
): void {
  const live = service.live(record.ID);
  const onOutput = (stream: LogStream, chunk: Buffer): void => {
    if (options.streams.has(stream)) writeOutput(socket, options.tty, stream, chunk);
  };
  const finish = (): void => {
    live.off('output', onOutput);
    live.off('output-end', finish);
    live.off('removed', finish);
    options.close();
  };
  live.on('output', onOutput);
  live.once('output-end', finish);
  live.once('removed', finish);
  socket.once('close', () => {
    live.off('output', onOutput);
    live.off('output-end', finish);
    live.off('removed', finish);
  });
  if (!options.stdin) {
    socket.resume();
    return;
  }
  // Input waits until the run's stdin FIFO exists (docker run attaches before it starts).
  socket.pause();
  const pump = (): void => {
    const stdin = live.stdio?.stdin;
    if (!stdin) return;
    const scanner = options.tty ? new DetachScanner(options.detachKeys) : undefined;
    const onInput = (chunk: Buffer): void => {
      if (!scanner) {
        stdin.write(chunk);
        return;
      }
      const { forward, detached } = scanner.push(chunk);
      if (forward.length > 0) stdin.write(forward);
      if (!detached) return;
      socket.off('data', onInput);
      service.event(record, 'detach');
      finish();
    };
    socket.on('data', onInput);
    socket.once('end', () => {
      if (options.tty) {
        finish();
        return;
      }
      if (!record.Config.StdinOnce) return;
      // The shim keeps the FIFO open itself: CloseIO is what makes the process see EOF.
      live.stdio?.closeStdin();
      void service.deps.containerd.tasks.closeStdin(record.ID).catch(() => undefined);
    });
    socket.resume();
  };
  if (live.stdio?.stdin) pump();
  else live.once('stdio', pump);
}
