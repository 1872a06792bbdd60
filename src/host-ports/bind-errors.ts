/**
 * A host bind that failed, in words a Docker user recognises: a taken port is Docker's own
 * "port is already allocated" (scripts and tools match on it), with the host-side reason added.
 */
import { TsdError } from '../../guest/api/errors.js';
import { describeBinding, type PortMapping } from '../../guest/api/host-ports.js';

export function bindError(port: Pick<PortMapping, 'proto' | 'hostIp' | 'hostPort'>, error: NodeJS.ErrnoException): TsdError {
  const ip = port.hostIp === '' ? '0.0.0.0' : port.hostIp;
  const where = describeBinding(port);
  switch (error.code) {
    case 'EADDRINUSE':
      return new TsdError('conflict', `Bind for ${ip}:${port.hostPort} failed: port is already allocated (${where} is in use on the host)`, { cause: error });
    case 'EACCES':
      return new TsdError('invalid-argument', `cannot listen on ${where} on the host: permission denied (ports below 1024 need privileges there)`, { cause: error });
    case 'EADDRNOTAVAIL':
      return new TsdError('invalid-argument', `cannot listen on ${where}: ${ip} is not an address of the host`, { cause: error });
    default:
      return new TsdError('internal', `cannot listen on ${where} on the host: ${error.message}`, { cause: error });
  }
}
