import type { IncomingMessage } from 'node:http';
import { readBody } from '../engine-client.js';

/** Reads a streamed answer (e.g. container wait) to its end and parses it. */
export async function readJson<T>(response: IncomingMessage): Promise<T> {
  return JSON.parse(await readBody(response)) as T;
}
