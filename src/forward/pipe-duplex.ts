/**
 * Joins two byte streams both ways with no buffering of our own, passing half-close through:
 * when one side finishes writing (FIN / SSH EOF), the other side's writable end is ended and
 * reading continues in the other direction. Docker's hijacked connections (attach, exec) rely on
 * this: the client closes stdin and still reads the output.
 */
import type { Duplex } from 'node:stream';

export function pipeDuplex(a: Duplex, b: Duplex, onDone?: (error?: Error) => void): void {
  // pipe() forwards chunks as they arrive, honours backpressure, and ends the destination
  // when the source ends: exactly a half-close.
  a.pipe(b);
  b.pipe(a);
  let closed = 0;
  let failure: Error | undefined;
  const onClose = (other: Duplex) => () => {
    // A side that is gone can neither read nor write: finish the other gracefully so that what
    // was already written is still delivered.
    if (!other.writableEnded && !other.destroyed) other.end();
    closed += 1;
    if (closed === 2) onDone?.(failure);
  };
  a.once('close', onClose(b));
  b.once('close', onClose(a));
  const onError = (error: Error) => {
    failure ??= error;
    a.destroy();
    b.destroy();
  };
  a.on('error', onError);
  b.on('error', onError);
}
