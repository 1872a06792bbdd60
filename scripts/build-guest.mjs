#!/usr/bin/env node
// Bundles each guest program into one ESM file under dist/guest/ with esbuild, so that the
// guest (and host mode) start one file with no module resolution: startup time is the product's cost.
// Add an entry here when a guest program appears. Native packages stay external (koffi loads a .node).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

/** name -> entry point. Output: dist/guest/<name>.mjs */
const ENTRIES = {
  init: 'guest/init/main.ts',
  runc: 'guest/runc/main.ts',
  sshd: 'guest/sshd/main.ts',
  dockerd: 'guest/dockerd/main.ts',
  containerd: 'guest/containerd/main.ts',
  shim: 'guest/shim/main.ts',
};

// '*.node': ssh2's optional crypto addon is built for the host's Node; the guest falls back to JS crypto.
const external = ['koffi', 'cpu-features', '*.node'];
// A character right after a backslash is left as it is: escaping it would change what the backslash escapes.
const asciiOnly = (text) =>
  text.replace(/[^\x00-\x7f]/g, (char, at) => (text[at - 1] === '\\' ? char : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`));

// A guest program bundled as a CommonJS script for vm.Script (the code-cache boots below embed it).
const bundleAsScript = async (entryPoint) =>
  (
    await build({
      entryPoints: [entryPoint],
      write: false,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external,
      // import() of koffi becomes require(): vm.Script has no module loader for import().
      supported: { 'dynamic-import': false },
      define: { 'import.meta.url': '__tsdImportMetaUrl' },
      banner: { js: 'var __tsdImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
      logLevel: 'warning',
    })
  ).outputFiles[0].text;

// dist/guest/runc.cjs, what bin/tsd-runc runs when it exists: tsd-runc's runtime (guest/runc/main.ts)
// as a CommonJS script, embedded in guest/runc/boot.ts, which runs it through vm.Script with a V8 code
// cache of what an invocation compiled (docs/runc.md). runc.mjs stays the plain ESM bundle.
const runcBody = await bundleAsScript('guest/runc/main.ts');
const runcBodyText = asciiOnly(runcBody);
await build({
  entryPoints: ['guest/runc/boot.ts'],
  outfile: 'dist/guest/runc.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  define: {
    TSD_RUNC_BODY: JSON.stringify(runcBodyText),
    TSD_RUNC_BODY_HASH: JSON.stringify(createHash('sha256').update(runcBodyText).digest('hex').slice(0, 16)),
  },
});

// dist/guest/sshd.cjs, what the guest's init runs when the image has it: the SSH server (guest/sshd/main.ts)
// as a CommonJS script embedded in guest/lib/prebuilt-cache-boot.ts, which runs it with the V8 code cache
// the image builder makes beside it (sshd starts before the data disk, where the others keep theirs).
// sshd.mjs stays the plain ESM bundle (tests and host tools run it).
const sshdBody = await bundleAsScript('guest/sshd/main.ts');
await build({
  entryPoints: ['guest/lib/prebuilt-cache-boot.ts'],
  outfile: 'dist/guest/sshd.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  define: { TSD_BOOT_BODY: JSON.stringify(asciiOnly(sshdBody)) },
});

// The daemons load Node's built-in modules through require() rather than import. An ESM import of
// a built-in makes its ESM facade, which reads every export: node:http's lazy getters then load
// Node's bundled undici (fetch, WebSocket), which the daemons never use (measured in
// docs/benchmarks.md, "daemon start-up"). require() reads only the exports the code uses: esbuild
// wraps the module (__toESM) with getters, and the banner's createRequire() serves the call.
const REQUIRE_BUILTINS = new Set(['dockerd']);
const builtinsThroughRequire = {
  name: 'builtins-through-require',
  setup(b) {
    b.onResolve({ filter: /^node:https?$/ }, (args) =>
      args.namespace === 'tsd-builtin' || args.kind === 'require-call'
        ? { path: args.path, external: true }
        : { path: args.path, namespace: 'tsd-builtin' });
    b.onLoad({ filter: /.*/, namespace: 'tsd-builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

const missing = Object.values(ENTRIES).filter((entry) => !existsSync(entry));
if (missing.length > 0) throw new Error(`guest entry points missing: ${missing.join(', ')}`);
await Promise.all(
  Object.entries(ENTRIES).map(([name, entry]) =>
    build({
      entryPoints: [entry],
      outfile: `dist/guest/${name}.mjs`,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external,
      sourcemap: 'linked',
      logLevel: 'warning',
      plugins: REQUIRE_BUILTINS.has(name) ? [builtinsThroughRequire] : [],
      // ESM bundles of CommonJS dependencies need a require(), and some read __dirname (ssh2's agent).
      banner: {
        js:
          "import { createRequire as __tsdCreateRequire } from 'node:module'; const require = __tsdCreateRequire(import.meta.url);" +
          " import { fileURLToPath as __tsdFileURLToPath } from 'node:url'; import { dirname as __tsdDirname } from 'node:path';" +
          ' const __filename = __tsdFileURLToPath(import.meta.url); const __dirname = __tsdDirname(__filename);',
      },
    }),
  ),
);

// V8 keeps each script's source in memory for the process's life, one byte per character unless a
// single character needs two: one '…' or '→' left in a comment doubles it (dockerd: +1.3 MiB idle,
// measured). esbuild keeps some comments and regex literals as written, so every non-ASCII
// character is escaped as \uXXXX: the same value in strings, templates, regexes and identifiers,
// inert in comments (nothing here reads a template's raw text). Source-map columns after such a
// character on its line shift by a few places.
for (const name of Object.keys(ENTRIES)) {
  const file = `dist/guest/${name}.mjs`;
  const text = readFileSync(file, 'utf8');
  const ascii = asciiOnly(text);
  if (ascii !== text) writeFileSync(file, ascii);
}

// containerd's API is loaded from .proto files at run time: ship them beside the bundle.
if (existsSync('guest/containerd/api/proto')) {
  cpSync('guest/containerd/api/proto', 'dist/guest/containerd-proto', { recursive: true });
}

// ... and their prebuilt descriptor (containerd-proto/api.json), so the daemons do not parse .proto
// text at every start. The writer is the compiled guest/containerd/api/proto-root.ts (tsc runs first).
if (existsSync('dist/guest/containerd-proto') && existsSync('dist/guest/containerd/api/proto-root.js')) {
  const { writeDescriptor } = await import('../dist/guest/containerd/api/proto-root.js');
  writeDescriptor('dist/guest/containerd-proto');
}
