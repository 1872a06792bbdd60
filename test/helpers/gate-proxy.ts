/**
 * An HTTP proxy in front of a registry that holds back the responses `hold` picks (a layer blob,
 * say) mid-stream until the test opens the gate: their status, headers and first `firstBytes`
 * bytes go out, the rest waits. It tells what the client did meanwhile: how many such requests
 * arrived, and how many the client dropped while held. Everything else, and held responses once
 * the gate is open, is forwarded unchanged.
 */
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GateProxy {
  host: string;
  /** Requests picked so far (each is held once its first bytes are out). */
  arrived(): number;
  /** Responses held mid-stream so far. */
  held(): number;
  /** Held requests whose client closed the connection before the gate opened. */
  dropped(): number;
  /** Resolves once `count` picked requests have arrived. */
  waitArrived(count: number): Promise<void>;
  /** Resolves once `count` responses are held mid-stream. */
  waitHeld(count: number): Promise<void>;
  /** Resolves once `count` held requests were dropped by their client. */
  waitDropped(count: number): Promise<void>;
  /** Forwards the held requests and every later one. */
  open(): void;
  /** Holds again from now on (counts go on). */
  close(): void;
  stop(): Promise<void>;
}

export async function startGateProxy(upstream: string, hold: (req: IncomingMessage) => boolean, firstBytes = 1024): Promise<GateProxy> {
  let arrived = 0;
  let dropped = 0;
  let held = 0;
  let isOpen = false;
  const waiting: Array<() => void> = [];
  const changed: Array<() => void> = [];
  const notify = (): void => {
    for (const wake of changed.splice(0)) wake();
  };
  const until = async (done: () => boolean): Promise<void> => {
    while (!done()) await new Promise<void>((resolve) => changed.push(resolve));
  };
  const server = createServer((req, res) => {
    const forward = (): void => {
      const [host, port] = upstream.split(':');
      const out = request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      req.pipe(out);
    };
    if (isOpen || !hold(req)) {
      forward();
      return;
    }
    arrived++;
    let released = false;
    res.on('close', () => {
      if (!released && !res.writableFinished) {
        dropped++;
        notify();
      }
    });
    const [host, port] = upstream.split(':');
    const out = request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      let sent = 0;
      const onData = (chunk: Buffer): void => {
        if (sent >= firstBytes) return;
        const part = chunk.subarray(0, firstBytes - sent);
        sent += part.length;
        res.write(part);
        if (sent >= firstBytes) {
          answer.pause();
          answer.off('data', onData);
          held++;
          const rest = chunk.subarray(part.length);
          waiting.push(() => {
            released = true;
            if (res.destroyed) return;
            if (rest.length > 0) res.write(rest);
            answer.pipe(res);
            answer.resume();
          });
          notify();
        }
      };
      answer.on('data', onData);
      answer.on('end', () => {
        if (sent < firstBytes) res.end();
      });
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
    notify();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    arrived: () => arrived,
    dropped: () => dropped,
    held: () => held,
    waitHeld: (count) => until(() => held >= count),
    waitArrived: (count) => until(() => arrived >= count),
    waitDropped: (count) => until(() => dropped >= count),
    open() {
      isOpen = true;
      for (const release of waiting.splice(0)) release();
    },
    close() {
      isOpen = false;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
