/**
 * The entry of dist/guest/runc.cjs, which bin/tsd-runc runs when it exists (else runc.mjs, the same
 * runtime as a plain ES module). The runtime (main.ts and what it imports) is bundled by
 * scripts/build-guest.mjs as a CommonJS script and embedded here as a string, so that it can run
 * through vm.Script with a V8 code cache taken at the END of an invocation: that cache holds the
 * functions the invocation compiled lazily (plan, helper, cgroups: most of `create`'s code), which
 * Node's own compile cache (NODE_COMPILE_CACHE, taken right after compiling) never does.
 *
 * The cache lives in $NODE_COMPILE_CACHE (the front end sets it), one file per kind of invocation
 * (create, run, exec, anything else) because each compiles different functions, named by the
 * runtime's hash and Node's version. It is used only when that directory is ours alone: a planted
 * cache would be code run as root. A missing or rejected cache is written once at exit (temp +
 * fsync + rename); a bad one costs a compile, never correctness: V8 checks it against the source
 * and its own version and flags, and the runtime's hash is in the name.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** The runtime, a CommonJS script (the build defines both). */
declare const TSD_RUNC_BODY: string;
declare const TSD_RUNC_BODY_HASH: string;

/** Invocations that compile much of the runtime, each with its own cache. */
const CACHED_KINDS = new Set(['create', 'run', 'exec']);

function cacheFile(): string | undefined {
  const dir = process.env.NODE_COMPILE_CACHE;
  if (!dir || typeof process.getuid !== 'function') return undefined;
  try {
    const found = statSync(dir);
    if (!found.isDirectory() || found.uid !== process.getuid() || (found.mode & 0o022) !== 0) return undefined;
  } catch {
    return undefined;
  }
  const kind = process.argv.slice(2).find((arg) => CACHED_KINDS.has(arg)) ?? 'other';
  return join(dir, `tsd-runc-${TSD_RUNC_BODY_HASH}-${process.version}-${process.arch}-${kind}.v8`);
}

function readCache(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeCache(file: string, data: Buffer): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch {
    try {
      unlinkSync(temp);
    } catch {
      // nothing written
    }
  }
}

// This file is only ever bundled as CommonJS (runc.cjs): a CommonJS entry also starts faster than an ES module.
const self = __filename;
const file = cacheFile();
const cachedData = readCache(file);
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${TSD_RUNC_BODY}\n})`, {
  filename: self,
  cachedData,
});
if (file && (!cachedData || script.cachedDataRejected)) {
  // The runtime ends with process.exit(): by then every function this invocation needed is compiled.
  process.once('exit', () => writeCache(file, script.createCachedData()));
}
const runtimeModule = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(runtimeModule.exports, createRequire(self), runtimeModule, self, dirname(self));
