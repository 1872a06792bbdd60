/**
 * Entry of the Engine API server (bundled to dist/guest/dockerd.mjs). The guest init supervises it;
 * on a Linux host it runs directly:
 *   node dist/guest/dockerd.mjs --socket PATH --data-root DIR [--registry-mirror URL]... [--insecure-registry HOST:PORT]...
 */
import { parseArgs } from 'node:util';
import { GUEST_DATA_MOUNT, GUEST_DOCKER_SOCKET } from '../api/guest-layout.js';
import { startEngineServer } from './engine-server.js';

const { values } = parseArgs({
  options: {
    socket: { type: 'string', default: GUEST_DOCKER_SOCKET },
    'data-root': { type: 'string', default: `${GUEST_DATA_MOUNT}/docker` },
    'registry-mirror': { type: 'string', multiple: true, default: [] },
    'insecure-registry': { type: 'string', multiple: true, default: [] },
  },
  strict: true,
});

const engine = await startEngineServer({
  socketPath: values.socket,
  dataRoot: values['data-root'],
  registryMirrors: values['registry-mirror'],
  insecureRegistries: values['insecure-registry'],
});
console.log(`dockerd: listening on ${values.socket}`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    console.log(`dockerd: ${signal}, closing`);
    void engine.close().then(() => process.exit(0));
  });
}
