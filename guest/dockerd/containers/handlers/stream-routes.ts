/** logs, attach and resize: container output to clients, client input to the container. */
import { TsdError } from '../../../api/errors.js';
import { hijack } from '../../http/hijack.js';
import { queryBool } from '../../http/json-body.js';
import type { ApiRequest, Router } from '../../router.js';
import type { LogEntry, LogStream } from '../io/json-log.js';
import { entryNanos, matches, parseLogTime, parseTail, readLog, type LogQuery } from '../io/log-reader.js';
import type { ContainerService } from '../service/container-service.js';
import type { ContainerRecord } from '../store/container-record.js';
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from '../io/detach-keys.js';
import { detailsPrefix } from '../io/log-attrs.js';
import { outputContentType, writeOutput } from './stream-output.js';
import type { Writable } from 'node:stream';

function streamsOf(req: ApiRequest): Set<LogStream> {
  const streams = new Set<LogStream>();
  if (queryBool(req.query, 'stdout')) streams.add('stdout');
  if (queryBool(req.query, 'stderr')) streams.add('stderr');
  return streams;
}

interface EntryFormat {
  timestamps: boolean;
  /** `details`: the line's extra attributes before it (after the timestamp), as Docker prints them. */
  details: boolean;
}

function writeEntry(out: Writable, tty: boolean, entry: LogEntry, format: EntryFormat): boolean {
  const line = format.details ? detailsPrefix(entry.attrs) + entry.log : entry.log;
  const text = format.timestamps ? `${entry.time} ${line}` : line;
  return writeOutput(out, tty, entry.stream, Buffer.from(text));
}

export function addStreamRoutes(router: Router, service: ContainerService): void {
  router.add('GET', '/containers/{id}/logs', async (req, res) => {
    const record = service.find(req.params.id!);
    const streams = streamsOf(req);
    if (streams.size === 0) throw new TsdError('invalid-argument', 'You must choose at least one stream');
    if (record.HostConfig.LogConfig?.Type === 'none') throw new TsdError('invalid-argument', 'configured logging driver does not support reading');
    const query: LogQuery = { streams, sinceNs: parseLogTime(req.query.get('since'), 'since'), untilNs: parseLogTime(req.query.get('until'), 'until'), tail: parseTail(req.query.get('tail')) };
    const follow = queryBool(req.query, 'follow') && query.untilNs === 0n;
    const format: EntryFormat = { timestamps: queryBool(req.query, 'timestamps'), details: queryBool(req.query, 'details') };
    const tty = !!record.Config.Tty;
    const live = service.live(record.ID);
    // Subscribe before reading the file; entries already in the file are skipped by time.
    const pending: LogEntry[] = [];
    let forward: ((entry: LogEntry) => void) | undefined = (entry) => pending.push(entry);
    const unsubscribe = follow && live.log ? live.log.subscribe((entry) => forward?.(entry)) : undefined;
    const history = await readLog(record.LogPath, query);
    res.writeHead(200, { 'Content-Type': outputContentType(tty, req.apiVersion) });
    res.flushHeaders();
    for (const entry of history) writeEntry(res, tty, entry, format);
    if (!follow || !unsubscribe || !record.State.Running) {
      unsubscribe?.();
      res.end();
      return;
    }
    const lastSeen = history.length > 0 ? entryNanos(history.at(-1)!) : -1n;
    forward = (entry) => {
      if (matches(entry, { ...query, sinceNs: query.sinceNs, tail: -1 })) writeEntry(res, tty, entry, format);
    };
    for (const entry of pending) if (entryNanos(entry) > lastSeen) forward(entry);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        unsubscribe();
        live.off('output-end', done);
        res.off('close', done);
        resolve();
      };
      live.once('output-end', done);
      res.once('close', done);
    });
    res.end();
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
    const history = replay && record.LogPath ? await readLog(record.LogPath, { streams, sinceNs: 0n, untilNs: 0n, tail: -1 }) : [];
    const { socket, close } = hijack(req, res, { contentType: outputContentType(tty, req.apiVersion) });
    service.event(record, 'attach');
    for (const entry of history) writeEntry(socket, tty, entry, { timestamps: false, details: false });
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
