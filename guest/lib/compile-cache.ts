/**
 * Writes Node's compile cache of a long-running daemon once it has started. With NODE_COMPILE_CACHE
 * set (the guest's init sets it to the data disk for its services), Node keeps the cache of what it
 * compiled in memory and writes it only when the process exits normally: a daemon that runs until
 * the machine is killed, or is killed with SIGKILL, never leaves one, and every later start compiles
 * its whole bundle again (~10% of its CPU to the first answer, measured in docs/benchmarks.md,
 * "daemon start-up"). module.flushCompileCache() (Node >= 22.10) writes it now; on older Nodes and
 * without a cache directory this does nothing.
 */
import module from 'node:module';

interface CompileCacheApi {
  getCompileCacheDir?: () => string | undefined;
  flushCompileCache?: () => void;
}

/** After `delayMs` (off the start's critical path), writes the compile cache if Node keeps one. */
export function flushCompileCacheSoon(delayMs = 1000, api: CompileCacheApi = module as CompileCacheApi): boolean {
  if (typeof api.flushCompileCache !== 'function' || !api.getCompileCacheDir?.()) return false;
  const flush = api.flushCompileCache.bind(api);
  setTimeout(() => {
    try {
      flush();
    } catch {
      // A cache that cannot be written costs the next start a compile, nothing else.
    }
  }, delayMs).unref();
  return true;
}
