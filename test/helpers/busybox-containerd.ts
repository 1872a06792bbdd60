/**
 * The shim suites' common set-up: Debian's real containerd (our shim on its PATH, see
 * debian-containerd.ts), the fixture registry (busybox only) on loopback, and busybox pulled into
 * the default namespace with the real `ctr`. `stop()` ends both. The engine suites' counterpart is
 * busybox-engine.ts.
 */
import { startFixtureRegistry } from '../fixtures/fixture-images.js';
import { DebianContainerd } from './debian-containerd.js';

export interface BusyboxContainerd {
  containerd: DebianContainerd;
  /** The pulled reference, `<registry>/library/busybox:latest`. */
  image: string;
  stop(): Promise<void>;
}

export async function startBusyboxContainerd(): Promise<BusyboxContainerd> {
  const containerd = await DebianContainerd.start();
  const fixtures = await startFixtureRegistry({ nginx: false }).catch(async (error: unknown) => {
    await containerd.stop();
    throw error;
  });
  const stop = async (): Promise<void> => {
    await containerd.stop();
    await fixtures.stop();
  };
  const image = `${fixtures.host}/library/busybox:latest`;
  try {
    await containerd.ctrOk(['images', 'pull', '--plain-http', image]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { containerd, image, stop };
}
