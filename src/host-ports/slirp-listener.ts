/**
 * A published port carried by QEMU's slirp instead of the SSH channel: a `hostfwd` rule added at
 * run time through the QEMU monitor (QMP human-monitor-command), removed on unpublish. QEMU binds
 * the host socket and copies the bytes in its own event loop to the guest's eth0, where the
 * guest engine's publication of the same port takes them to the container: no Node process and
 * no cipher on the path (src/host-ports/README.md has the measurements).
 *
 * QEMU only says "Could not set up host forwarding rule" when its bind fails, so the host binding
 * is first probed with a real exclusive bind: a taken port is reported in Docker's words like the
 * SSH path does. If QEMU still refuses (the port was taken in between, or the monitor is gone),
 * listenSlirp answers undefined and the caller serves the port over SSH, whose bind says why.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { PublishedPort } from '../../guest/api/host-ports.js';
import { bindError } from './bind-errors.js';
import type { HostListener } from './host-listener.js';

/** The QEMU monitor commands this needs; the machine's QmpClient has them (src/machine/qemu/qmp.ts). */
export interface SlirpMonitor {
  /** `hostfwd_add` on the machine's slirp netdev; rejects with QEMU's text when it refused. */
  hostfwdAdd(rule: string): Promise<string>;
  hostfwdRemove(rule: string): Promise<string>;
}

export interface SlirpRule {
  rule: string;
  removeRule: string;
}

export async function listenSlirp(port: PublishedPort, route: SlirpRule, monitor: SlirpMonitor, log: (line: string) => void): Promise<HostListener | undefined> {
  await probeBind(port);
  try {
    await monitor.hostfwdAdd(route.rule);
  } catch (error) {
    log(`slirp hostfwd ${route.rule} refused (${(error as Error).message}); using the SSH channel`);
    return undefined;
  }
  return {
    hostPort: port.hostPort,
    // The guest's publication of this port moves with the engine (a republish after its restart
    // re-creates the DNAT); slirp's target, the guest's address and the same port, stays.
    retarget: () => undefined,
    // Removes the listening socket; connections QEMU already carries end when either side closes.
    close: () =>
      monitor.hostfwdRemove(route.removeRule).then(
        () => undefined,
        (error: Error) => log(`slirp hostfwd_remove ${route.removeRule}: ${error.message}`),
      ),
  };
}

/** Binds the host address exclusively and releases it: a held port fails here with its errno. */
async function probeBind(port: PublishedPort): Promise<void> {
  const host = port.hostIp === '' ? '0.0.0.0' : port.hostIp;
  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException): void => reject(bindError(port, error));
    if (port.proto === 'tcp') {
      const server = createServer();
      server.once('error', fail);
      server.listen({ host, port: port.hostPort, exclusive: true }, () => server.close(() => resolve()));
    } else {
      const socket = createSocket('udp4');
      socket.once('error', fail);
      socket.bind({ address: host, port: port.hostPort, exclusive: true }, () => socket.close(() => resolve()));
    }
  });
}
