/**
 * The host agent's use of the host-ports channel, in one place: a PortTable whose listeners reach
 * the guest through QEMU's slirp or over the agent's current SSH connection, and the service
 * attached to each connection.
 * A failed attach is logged, not fatal: the machine runs, only published ports are unavailable.
 */
import type { GuestSsh } from '../ssh/client.js';
import type { ReconnectingSsh } from '../ssh/reconnecting.js';
import { sshGuestOpener } from './guest-opener.js';
import { HostPortsService } from './host-ports-service.js';
import { PortTable } from './port-table.js';
import type { SlirpMonitor } from './slirp-listener.js';

export interface HostPorts {
  /** Attach to a new SSH connection (after a reconnect). */
  attach(ssh: GuestSsh): Promise<void>;
  /** Close every host listener (the machine stops). */
  close(): Promise<void>;
}

/** `qemu`: the machine's QMP client; given, ports slirp can serve get a hostfwd (faster than SSH). */
export async function startHostPorts(ssh: ReconnectingSsh, first: GuestSsh, log: (line: string) => void, qemu?: SlirpMonitor): Promise<HostPorts> {
  const table = new PortTable(sshGuestOpener(() => ssh.current()), (line) => log(`host ports: ${line}`), qemu);
  const service = new HostPortsService({ table, log });
  const attach = (connection: GuestSsh) =>
    service.attach(connection).catch((error: Error) => log(`host ports: ${error.message}; published ports will not reach the host`));
  await attach(first);
  return { attach, close: () => table.closeAll().catch((error: Error) => log(`host ports: closing: ${error.message}`)) };
}
