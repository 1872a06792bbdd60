/**
 * The Engine API's JSON message stream (pull, push, build): one JSON object per line with a
 * `status`, an optional layer `id` and `progress`, or an `error`. ProgressDisplay turns it into
 * what docker prints: on a terminal one line per layer, rewritten in place; elsewhere one line per
 * status change, without progress bars. Pure: it returns the text to write.
 */
import { TsdError } from '../../guest/api/errors.js';

export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
  aux?: unknown;
  stream?: string;
}

/** Splits a byte stream into messages; a line that is not JSON is an engine bug, reported. */
export class JsonMessageReader {
  private pending = '';

  push(chunk: Buffer | string): JsonMessage[] {
    this.pending += chunk.toString();
    const lines = this.pending.split(/\r?\n/);
    this.pending = lines.pop() ?? '';
    return lines.filter((line) => line.trim() !== '').map(parseLine);
  }

  end(): JsonMessage[] {
    const rest = this.pending.trim();
    this.pending = '';
    return rest === '' ? [] : [parseLine(rest)];
  }
}

function parseLine(line: string): JsonMessage {
  try {
    return JSON.parse(line) as JsonMessage;
  } catch (error) {
    throw new TsdError('internal', `the engine sent a progress line that is not JSON: ${line.slice(0, 200)}`, { cause: error });
  }
}

/** The failure a message carries, if any (the stream's HTTP status is 200 even when a pull fails). */
export function messageError(message: JsonMessage): string | undefined {
  return message.errorDetail?.message ?? message.error;
}

export class ProgressDisplay {
  private readonly lines: string[] = [];

  constructor(private readonly terminal: boolean) {}

  /** Text to write for one message. Errors are not rendered: the caller fails with them. */
  render(message: JsonMessage): string {
    if (messageError(message) !== undefined) return '';
    if (message.stream !== undefined) return message.stream;
    if (message.status === undefined) return '';
    const text = `${message.id !== undefined ? `${message.id}: ` : ''}${message.status}${this.terminal && message.progress ? ` ${message.progress}` : ''}`;
    if (!this.terminal) {
      // docker leaves progress bars out when the output is not a terminal
      return message.progress !== undefined && message.progress !== '' ? '' : `${text}\n`;
    }
    if (message.id === undefined || message.id === '') {
      this.lines.push(''); // a line of its own: layers above it are one line further up
      return `${text}\n`;
    }
    const index = this.lines.indexOf(message.id);
    if (index === -1) {
      this.lines.push(message.id);
      return `${text}\n`;
    }
    const up = this.lines.length - index;
    // up to the layer's line, clear it, write, and back down to where we were
    return `\x1b[${up}A\x1b[2K\r${text}\x1b[${up}B\r`;
  }
}
