/**
 * Entry of the Engine API server (bundled to dist/guest/dockerd.mjs). The guest init supervises it;
 * on a Linux host it runs directly (or through `npm run engine`, which starts containerd too):
 *   node dist/guest/dockerd.mjs -H unix:///PATH --data-root DIR --containerd SOCK [--config-file FILE] …
 * Flags and daemon.json keys are dockerd's (config/engine-flags.ts); `--socket PATH` is kept as a
 * short form of `-H unix://PATH`.
 */
import { asTsdError } from '../api/errors.js';
import { GUEST_DATA_MOUNT, GUEST_DOCKER_SOCKET } from '../api/guest-layout.js';
import { DEFAULT_CONFIG } from './config/engine-config.js';
import { loadEngineConfig } from './config/engine-flags.js';
import { reloadConfig } from './config/reload.js';
import { startEngineServer } from './engine-server.js';
import { capYoungGeneration } from '../lib/young-generation.js';
import { flushCompileCacheSoon } from '../lib/compile-cache.js';
import { afterStart } from '../lib/memory-reducer.js';

async function main(): Promise<void> {
  capYoungGeneration();
  const argv = process.argv.slice(2);
  const defaults = { ...DEFAULT_CONFIG, hosts: [`unix://${GUEST_DOCKER_SOCKET}`], dataRoot: `${GUEST_DATA_MOUNT}/docker` };
  const config = await loadEngineConfig(argv, defaults);
  const engine = await startEngineServer(config);
  process.on('SIGHUP', () => {
    reloadConfig(engine.context, argv, defaults).then(
      () => console.log('dockerd: configuration reloaded'),
      (error: unknown) => console.error(`dockerd: reload failed, configuration unchanged: ${asTsdError(error).message}`),
    );
  });
  console.log(`dockerd: listening on ${config.hosts.join(', ')} (containerd ${config.containerdAddress})`);
  flushCompileCacheSoon();
  afterStart();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      console.log(`dockerd: ${signal}, closing`);
      void engine.close().then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`dockerd: ${asTsdError(error).message}\n`);
  process.exit(1);
});
