/**
 * The sync protocol between the runtime and the helper, one text line per message on the helper's
 * sync fd (a unix stream socket). The plan travels first, runtime → helper, as bytes (plan/steps.ts).
 *
 *   helper → runtime                          runtime → helper
 *   pid <n>            container process      (nothing; the runtime records it)
 *   sync <point>       stopped at a point     ack | abort
 *   ready              set-up done; the sync fd is closed next
 *   exit <status>      (report_exit, attached) the container ended: its status, as the exit code it would have
 *   error <step> <errno> <detail>             (the helper exits)
 */
import type { SyncPoint } from '../plan/steps.js';

export type HelperMessage =
  | { type: 'pid'; pid: number }
  | { type: 'sync'; point: SyncPoint }
  | { type: 'ready' }
  | { type: 'exit'; status: number }
  | { type: 'error'; step: string; errno: number; detail: string };

export const ACK = 'ack\n';
export const ABORT = 'abort\n';

export function parseHelperMessage(line: string): HelperMessage {
  const [type, ...rest] = line.split(' ');
  switch (type) {
    case 'pid':
      return { type, pid: Number(rest[0]) };
    case 'sync':
      if (rest[0] !== 'setup' && rest[0] !== 'hooks') break;
      return { type, point: rest[0] };
    case 'ready':
      return { type };
    case 'exit':
      return { type, status: Number(rest[0]) };
    case 'error':
      return { type, step: rest[0] ?? '?', errno: Number(rest[1]), detail: rest.slice(2).join(' ') };
  }
  throw new Error(`unexpected message from the helper: ${JSON.stringify(line)}`);
}
