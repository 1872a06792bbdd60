/**
 * `tsd machine logs`: the serial console (a file on the host, readable even when the guest is
 * down) or a guest service's log from /var/log/tsd/<service>.log over SSH.
 */
import { open } from 'node:fs/promises';
import { GUEST_LOG_DIR } from '../../guest/api/guest-layout.js';
import { TsdError } from '../../guest/api/errors.js';
import type { GuestSsh } from '../ssh/client.js';
import { runCommand, type Terminal } from '../ssh/session.js';

const SERVICE_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/** Copies the file to out; with follow, keeps copying what is appended until stopped. */
export async function showFile(path: string, out: NodeJS.WritableStream, follow: boolean, stopped: () => boolean): Promise<void> {
  let file;
  try {
    file = await open(path, 'r');
  } catch {
    throw new TsdError('not-found', `no serial log yet (${path}): the machine has not been started`);
  }
  try {
    const buffer = Buffer.alloc(64 * 1024);
    let position = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead > 0) {
        position += bytesRead;
        out.write(buffer.subarray(0, bytesRead));
        continue;
      }
      if (!follow || stopped()) return;
      // QEMU truncates the log at each boot: start over when the file shrank.
      if ((await file.stat()).size < position) position = 0;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } finally {
    await file.close();
  }
}

export function serviceLogCommand(service: string, follow: boolean): string {
  if (!SERVICE_PATTERN.test(service)) throw new TsdError('invalid-argument', `invalid service name "${service}"`);
  const path = `${GUEST_LOG_DIR}/${service}.log`;
  return follow ? `tail -n +1 -F ${path}` : `if [ -e ${path} ]; then cat ${path}; else echo "no log for service ${service}; services: $(ls ${GUEST_LOG_DIR} | sed -n 's/\\.log$//p' | tr '\\n' ' ')" >&2; exit 3; fi`;
}

export function showServiceLog(ssh: GuestSsh, service: string, follow: boolean, term: Terminal): Promise<number> {
  return runCommand(ssh, serviceLogCommand(service, follow), term);
}
