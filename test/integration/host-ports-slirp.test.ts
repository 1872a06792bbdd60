// The slirp data path of published ports against a real QEMU with no guest (-M none, a user-mode
// netdev named as the machine's): the PortTable adds a hostfwd through QMP for what slirp can
// carry, QEMU binds the host socket (seen in its `info usernet` and the host's socket table),
// unpublish removes it, a taken port is Docker's conflict error, and what slirp cannot carry (a
// 127.0.0.1 binding, or QEMU refusing) is served by the agent's own listener. Data through the
// guest is the e2e test's (test/e2e/engine-in-vm.test.ts); this needs no boot.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTsdError } from '../../guest/api/errors.js';
import type { PortMapping } from '../../guest/api/host-ports.js';
import type { GuestOpener } from '../../src/host-ports/guest-opener.js';
import { PortTable } from '../../src/host-ports/port-table.js';
import { SLIRP_NETDEV_ID } from '../../src/machine/qemu/argv.js';
import { findProgram, hostSearch } from '../../src/machine/qemu/binary.js';
import { QmpClient } from '../../src/machine/qemu/qmp.js';
import { freePort } from '../helpers/free-port.js';
import { boundAddresses, connectOnce } from '../helpers/host-sockets.js';

let dir = '';
let qmp: QmpClient;
let stopQemu = (): void => undefined;
const logs: string[] = [];
// No guest here: these checks make no connection that would need one.
const noGuest: GuestOpener = {
  openTcp: () => Promise.reject(new Error('no guest in this test')),
  openUdpRelay: () => Promise.reject(new Error('no guest in this test')),
};
let table: PortTable;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsd-slirp-ports-'));
  const socket = join(dir, 'qmp.sock');
  const args = ['-M', 'none', '-nodefaults', '-display', 'none', '-netdev', `user,id=${SLIRP_NETDEV_ID}`, '-qmp', `unix:${socket},server=on,wait=off`];
  const qemu = spawn(findProgram('qemu-system-x86_64', hostSearch()), args, { stdio: 'ignore' });
  stopQemu = () => void qemu.kill('SIGKILL');
  while (!existsSync(socket)) await new Promise((resolve) => setTimeout(resolve, 50));
  qmp = await QmpClient.connect(socket);
  table = new PortTable(noGuest, (line) => logs.push(line), qmp);
});

test.after.always(async () => {
  stopQemu();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const mapping = (proto: 'tcp' | 'udp', hostIp: string, hostPort: number): PortMapping => ({ proto, hostIp, hostPort, guestPort: 80, guestAddress: '172.17.0.2' });

/** QEMU's own list of its slirp forwards: the lines naming host port `port`. */
async function qemuForwards(port: number): Promise<string[]> {
  const text = await qmp.humanCommand('info usernet');
  return text.split(/\r?\n/).filter((line) => line.includes('HOST_FORWARD') && line.split(/\s+/).includes(String(port)));
}

test.serial('an all-addresses TCP publication is a slirp forward: QEMU binds it, to the guest address and the same port; unpublish removes it', async (t) => {
  const port = await freePort();
  const published = await table.publish(mapping('tcp', '0.0.0.0', port));
  t.is(published.hostPort, port);
  t.deepEqual(await boundAddresses('tcp', port), ['0.0.0.0']);
  const [line] = await qemuForwards(port);
  t.regex(line ?? '', new RegExp(`TCP\\[HOST_FORWARD\\].*\\s${port}\\s+10\\.0\\.2\\.15\\s+${port}\\s`));
  t.deepEqual(table.list(), [published]);
  await table.unpublish({ proto: 'tcp', hostIp: '0.0.0.0', hostPort: port });
  t.deepEqual(await qemuForwards(port), []);
  t.deepEqual(await boundAddresses('tcp', port), []);
  t.is(await connectOnce(port), 'ECONNREFUSED');
});

test.serial('an all-addresses UDP publication is a slirp forward too', async (t) => {
  const port = await freePort();
  await table.publish(mapping('udp', '', port));
  t.deepEqual(await boundAddresses('udp', port), ['0.0.0.0']);
  t.is((await qemuForwards(port)).length, 1);
  await table.unpublish({ proto: 'udp', hostIp: '', hostPort: port });
  t.deepEqual(await boundAddresses('udp', port), []);
});

test.serial('a host port already taken is Docker\'s "port is already allocated", and no forward is left', async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as { port: number }).port;
  const error = await t.throwsAsync(table.publish(mapping('tcp', '0.0.0.0', port)));
  t.true(isTsdError(error) && error.code === 'conflict');
  t.regex(error?.message ?? '', new RegExp(`^Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
  t.deepEqual(await qemuForwards(port), []);
  await new Promise((resolve) => holder.close(resolve));
  // Once the port is free, the same publication works.
  await table.publish(mapping('tcp', '0.0.0.0', port));
  t.is((await qemuForwards(port)).length, 1);
  await table.unpublish({ proto: 'tcp', hostIp: '0.0.0.0', hostPort: port });
});

test.serial('a 127.0.0.1 publication stays on the SSH channel: the agent binds it, QEMU has no forward', async (t) => {
  const port = await freePort();
  await table.publish(mapping('tcp', '127.0.0.1', port));
  t.deepEqual(await boundAddresses('tcp', port), ['127.0.0.1']);
  t.deepEqual(await qemuForwards(port), []);
  t.true(logs.some((line) => line.includes(`127.0.0.1:${port}/tcp`) && line.includes('SSH channel')));
  await table.unpublish({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: port });
  t.deepEqual(await boundAddresses('tcp', port), []);
});

test.serial('when QEMU refuses the forward, the port is served over SSH instead', async (t) => {
  // The real monitor, asked for a netdev that does not exist: QEMU answers with an error.
  const refusing = {
    hostfwdAdd: (rule: string) => qmp.humanCommand(`hostfwd_add no-such-netdev ${rule}`),
    hostfwdRemove: (rule: string) => qmp.humanCommand(`hostfwd_remove no-such-netdev ${rule}`),
  };
  const other = new PortTable(noGuest, (line) => logs.push(line), refusing);
  const port = await freePort();
  await other.publish(mapping('tcp', '0.0.0.0', port));
  t.deepEqual(await boundAddresses('tcp', port), ['0.0.0.0']);
  t.deepEqual(await qemuForwards(port), []);
  t.true(logs.some((line) => line.includes(`0.0.0.0:${port}/tcp`) && line.includes('QEMU refused')));
  await other.closeAll();
  t.deepEqual(await boundAddresses('tcp', port), []);
});

test.serial('closing the table after the monitor is gone does not hang (the machine stopped on its own)', async (t) => {
  const port = await freePort();
  await table.publish(mapping('tcp', '0.0.0.0', port));
  const closed = new Promise<void>((resolve) => qmp.once('close', () => resolve()));
  stopQemu();
  await closed;
  await table.closeAll();
  t.deepEqual(table.list(), []);
  t.true(logs.some((line) => line.includes(`hostfwd_remove tcp:0.0.0.0:${port}`)));
});
