/**
 * The container suites' common set-up: the fixture registry (busybox only) on loopback, a host-mode
 * engine using it as its docker.io mirror on the stack TSD_CONTAINERS_STACK picks (ours by default),
 * and busybox pulled. `stop()` ends both.
 */
import { startFixtureRegistry } from '../fixtures/fixture-images.js';
import { stackFromEnv, startHostEngine, type HostEngine } from './host-engine.js';

export interface BusyboxEngine {
  engine: HostEngine;
  stop(): Promise<void>;
}

export async function startBusyboxEngine(): Promise<BusyboxEngine> {
  const fixtures = await startFixtureRegistry({ nginx: false });
  let engine: HostEngine;
  try {
    engine = await startHostEngine({ registry: fixtures.host, stack: stackFromEnv() });
    await engine.dockerOk('pull', 'busybox');
  } catch (error) {
    await fixtures.stop();
    throw error;
  }
  return {
    engine,
    async stop() {
      await engine.stop();
      await fixtures.stop();
    },
  };
}
