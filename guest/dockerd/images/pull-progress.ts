/**
 * Docker's pull/push progress messages from the registry client's transfer events: one line per
 * layer, keyed by the short digest (`{"status":"Downloading","progressDetail":{current,total},
 * "progress":"[==>  ] 1.2MB/3.4MB","id":"a1b2c3d4e5f6"}`), as the docker CLI renders them.
 */
import type { TransferEvent } from '../../containerd/registry/types.js';

export interface ProgressMessage {
  status: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
}

export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

export function progressBar(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
  return `[${bar}] ${humanSize(current)}/${humanSize(total)}`;
}

export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 3 : value < 100 ? 2 : 1).replace(/\.?0+$/, '')}${units[unit]}`;
}

/** Pull events → messages. The image config is the first blob a pull fetches; it gets no line, as in Docker. */
export class PullProgress {
  #config: string | undefined;

  constructor(private readonly send: (message: ProgressMessage) => void) {}

  onEvent(event: TransferEvent): void {
    if (!('digest' in event) || event.kind === 'resolved' || event.kind === 'manifest-done') return;
    if (this.#config === undefined) this.#config = event.digest;
    if (event.digest === this.#config) return;
    const id = shortId(event.digest);
    switch (event.kind) {
      case 'blob-exists':
        this.send({ status: 'Already exists', progressDetail: {}, id });
        break;
      case 'blob-start':
        this.send({ status: 'Pulling fs layer', progressDetail: {}, id });
        break;
      case 'blob-progress':
        this.send({ status: 'Downloading', progressDetail: { current: event.done, total: event.size }, progress: progressBar(event.done, event.size), id });
        break;
      case 'blob-done':
        this.send({ status: 'Verifying Checksum', progressDetail: {}, id });
        this.send({ status: 'Download complete', progressDetail: {}, id });
        break;
      default:
        break;
    }
  }
}

/** Push events → messages ("Preparing", "Pushing", "Pushed", "Layer already exists", "Mounted from"). */
export function pushMessage(event: TransferEvent): ProgressMessage | undefined {
  if (!('digest' in event)) return undefined;
  const id = shortId(event.digest);
  switch (event.kind) {
    case 'blob-exists': return { status: 'Layer already exists', progressDetail: {}, id };
    case 'blob-start': return { status: 'Pushing', progressDetail: { current: 0, total: event.size }, progress: progressBar(0, event.size), id };
    case 'blob-progress': return { status: 'Pushing', progressDetail: { current: event.done, total: event.size }, progress: progressBar(event.done, event.size), id };
    case 'blob-mounted': return { status: `Mounted from ${event.from}`, progressDetail: {}, id };
    case 'blob-done': return { status: 'Pushed', progressDetail: {}, id };
    default: return undefined;
  }
}
