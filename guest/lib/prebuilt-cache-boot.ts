/**
 * The entry of a guest program bundled with a code cache made at image build time (dist/guest/sshd.cjs
 * today): the program (a CommonJS script) is embedded here as a string and run through vm.Script with
 * the V8 code cache found beside this file (<this file>.v8, e.g. /opt/tsd/sshd.cjs.v8).
 *
 * Why: sshd starts before the data disk is mounted, so it cannot keep Node's compile cache there as the
 * engine's daemons do, and compiling its 750 KB bundle on every boot under tcg sits on the start's
 * critical path. The image builder runs the guest's own Node on the host with TSD_WRITE_CODE_CACHE set:
 * this file then compiles the program with every function eager (--no-lazy, so the cache also holds
 * what the first SSH connection runs), writes the cache and exits without running the program.
 * V8's cache is not deterministic by default (its hash and random seeds change per process), so the
 * builder runs it with both seeds fixed, and they are put back to their defaults before the cache is
 * serialized: V8 checks the flags' hash when it loads a cache, and a guest Node runs with none.
 *
 * A missing or rejected cache (another Node, other flags) costs a compile, never correctness: V8
 * checks its version, its flags and the source's length, and each image's cache is made from the very
 * file it sits beside.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

/** The program, a CommonJS script (scripts/build-guest.mjs defines it). */
declare const TSD_BOOT_BODY: string;

// Only ever bundled as CommonJS: __filename is this file.
const self = __filename;
const source = `(function (exports, require, module, __filename, __dirname) {${TSD_BOOT_BODY}\n})`;
const writeTo = process.env.TSD_WRITE_CODE_CACHE;

if (writeTo) {
  setFlagsFromString('--no-lazy');
  // The script's name is part of the cache: compile under the path the guest runs it from (the
  // builder's TSD_CODE_CACHE_FILENAME), not the build directory's, or the image would depend on
  // where it was built (and stack traces in the guest would name the build host's path).
  const script = new Script(source, { filename: process.env.TSD_CODE_CACHE_FILENAME ?? self });
  setFlagsFromString('--lazy');
  setFlagsFromString('--hash-seed=0');
  setFlagsFromString('--random-seed=0');
  writeFileSync(writeTo, script.createCachedData());
} else {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(`${self}.v8`);
  } catch {
    // no cache in this image (built where the guest's Node cannot run): compile
  }
  const script = new Script(source, { filename: self, ...(cachedData === undefined ? {} : { cachedData }) });
  if (cachedData !== undefined && script.cachedDataRejected) process.stderr.write(`${self}: code cache rejected, compiling\n`);
  const programModule = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(programModule.exports, createRequire(self), programModule, self, dirname(self));
}
