/**
 * A tiny HTTP server in front of a real registry that forwards everything, except what the
 * test's `decide` hook says to tamper with: corrupt a body byte, send a truncated body, cut the
 * connection mid-body, or answer with a status. It serves bad blobs without faking the protocol.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

export type Tamper =
  | { kind: 'pass' }
  | { kind: 'corrupt' }
  /** Send only the first `bytes`, with a Content-Length that says so (a complete, short response). */
  | { kind: 'truncate'; bytes: number }
  /** Promise the full length but close the connection after `bytes`. */
  | { kind: 'cut'; bytes: number }
  /** Send `bytes` of the body, then nothing more (the connection stays open until stop). */
  | { kind: 'stall'; bytes: number }
  | { kind: 'status'; status: number };

export interface TamperProxy {
  host: string;
  /** Every request seen, `METHOD path`, with its Range header if any. */
  seen: Array<{ method: string; path: string; range?: string }>;
  stop(): Promise<void>;
}

export async function startTamperProxy(upstreamHost: string, decide: (req: IncomingMessage) => Tamper): Promise<TamperProxy> {
  const seen: TamperProxy['seen'] = [];
  const server = createServer((req, res) => {
    const range = req.headers.range;
    seen.push({ method: req.method ?? '', path: req.url ?? '', ...(range ? { range } : {}) });
    const tamper = decide(req);
    if (tamper.kind === 'status') {
      res.writeHead(tamper.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'tamper proxy' }] }));
      return;
    }
    const [hostname, port] = upstreamHost.split(':');
    const upstream = request(
      { hostname, port: Number(port), method: req.method, path: req.url, headers: { ...req.headers, host: upstreamHost }, agent: false },
      (up) => respond(up, res, tamper),
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function respond(up: IncomingMessage, res: ServerResponse, tamper: Tamper): void {
  const headers = { ...up.headers };
  // Rewrite redirects and upload locations? The registry uses relative or absolute URLs of its own
  // host; clients resolve relative ones against us. Absolute ones are left alone on purpose.
  if (tamper.kind === 'pass' || (up.statusCode !== 200 && up.statusCode !== 206)) {
    res.writeHead(up.statusCode ?? 502, headers);
    up.pipe(res);
    return;
  }
  const chunks: Buffer[] = [];
  up.on('data', (chunk: Buffer) => chunks.push(chunk));
  up.on('end', () => {
    const body = Buffer.concat(chunks);
    if (tamper.kind === 'corrupt') {
      if (body.length > 0) body[Math.floor(body.length / 2)] ^= 0xff;
      res.writeHead(up.statusCode ?? 200, headers);
      res.end(body);
    } else if (tamper.kind === 'truncate') {
      const short = body.subarray(0, tamper.bytes);
      res.writeHead(up.statusCode ?? 200, { ...headers, 'content-length': String(short.length) });
      res.end(short);
    } else if (tamper.kind === 'stall') {
      res.writeHead(up.statusCode ?? 200, headers);
      res.write(body.subarray(0, tamper.bytes));
    } else if (tamper.kind === 'cut') {
      res.writeHead(up.statusCode ?? 200, headers);
      res.write(body.subarray(0, tamper.bytes), () => setTimeout(() => res.socket?.destroy(), 20));
    }
  });
}
