/**
 * The host agent's use of the host-ports channel, in one place: a PortTable whose listeners reach
 * the guest over the agent's current SSH connection, and the service attached to each connection.
 * A failed attach is logged, not fatal: the machine runs, only published ports are unavailable.
 */
import type { GuestSsh } from '../ssh/client.js';
import type { ReconnectingSsh } from '../ssh/reconnecting.js';
import { sshGuestOpener } from './guest-opener.js';
import { HostPortsService } from './host-ports-service.js';
import { PortTable } from './port-table.js';

export interface HostPorts {
  /** Attach to a new SSH connection (after a reconnect). */
  attach(ssh: GuestSsh): Promise<void>;
  /** Close every host listener (the machine stops). */
  close(): Promise<void>;
}

export async function startHostPorts(ssh: ReconnectingSsh, first: GuestSsh, log: (line: string) => void): Promise<HostPorts> {
  const table = new PortTable(sshGuestOpener(() => ssh.current()), (line) => log(`host ports: ${line}`));
  const service = new HostPortsService({ table, log });
  const attach = (connection: GuestSsh) =>
    service.attach(connection).catch((error: Error) => log(`host ports: ${error.message}; published ports will not reach the host`));
  await attach(first);
  return { attach, close: () => table.closeAll().catch((error: Error) => log(`host ports: closing: ${error.message}`)) };
}
