/**
 * Gives memory back after a burst (a layer applied, a blob written): a pull leaves tens of MiB
 * of garbage in V8's heap that an idle daemon would otherwise keep, since nothing triggers a
 * collection while it waits. One full collection runs a moment after the last burst ends.
 * The gc function is obtained at run time (--expose-gc through v8.setFlagsFromString), so no
 * launcher flag is needed; where that is refused, this does nothing.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const QUIET_MS = 1_000;

let collect: (() => void) | undefined | null;
let timer: NodeJS.Timeout | undefined;

function gcFunction(): (() => void) | undefined {
  if (collect !== undefined) return collect ?? undefined;
  try {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  } catch {
    collect = null;
  }
  return collect ?? undefined;
}

/** Call when a burst of allocation ends; a collection follows once things are quiet. */
export function afterBurst(): void {
  const gc = gcFunction();
  if (!gc) return;
  clearTimeout(timer);
  timer = setTimeout(gc, QUIET_MS);
  timer.unref();
}
