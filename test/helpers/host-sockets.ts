/**
 * The host's socket table for e2e checks of published ports: which local addresses have a socket
 * bound on a port, read from /proc/net/{tcp,tcp6,udp,udp6} of this process's network namespace.
 * Reading the table (rather than sending traffic to non-loopback addresses) is how the tests see
 * that `-p 127.0.0.1:H:P` binds only loopback and `-p H:P` every address.
 */
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';

const TCP_LISTEN = '0A';
const UDP_UNCONNECTED = '07';

/** Local addresses ("127.0.0.1", "0.0.0.0", "::" …) with a listening TCP / bound UDP socket on `port`. */
export async function boundAddresses(proto: 'tcp' | 'udp', port: number): Promise<string[]> {
  const state = proto === 'tcp' ? TCP_LISTEN : UDP_UNCONNECTED;
  const found: string[] = [];
  for (const file of [`/proc/net/${proto}`, `/proc/net/${proto}6`]) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== state) continue;
      const [address, portHex] = fields[1]!.split(':') as [string, string];
      if (parseInt(portHex, 16) === port) found.push(decodeAddress(address));
    }
  }
  return [...new Set(found)].sort();
}

/** /proc/net addresses are 32-bit words in host (little-endian here) byte order. */
function decodeAddress(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(hex.slice(word + i, word + i + 2), 16));
  }
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.every((b) => b === 0)) return '::';
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** One TCP connection attempt to 127.0.0.1:PORT: 'connected', or the error code (ECONNREFUSED …). */
export function connectOnce(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
