// An aarch64 machine through the real `tsd` CLI on this x86_64 host (qemu-system-aarch64 -M virt,
// tcg): `tsd machine start` builds or reuses the aarch64 image, boots it, and the real docker CLI
// gets the guest's Engine API (linux/arm64) through the machine's socket; the engine's containerd
// answers too (docker images goes through it); stop powers the guest off cleanly.
import test from 'ava';
import { E2eMachine } from '../helpers/e2e-machine.js';

// image build (first time) + an emulated aarch64 boot on a shared host; the agent retries a hung boot once
const TIMEOUT = 15 * 60_000;

let machine: E2eMachine | undefined;

test.before(async () => {
  machine = await E2eMachine.prepare('e2e-arm', 'arch: aarch64\ncpus: 2\nmemory: 1GiB\ndisk: 4\nmounts: []\n');
});

test.after.always(async () => {
  await machine?.cleanup();
});

test.serial('tsd machine start boots an aarch64 machine whose Engine API answers the docker CLI through the socket', async (t) => {
  t.timeout(TIMEOUT + 60_000);
  const m = machine!;
  const created = await m.tsd('machine', 'create', m.name, '-f', m.machineFile);
  t.is(created.code, 0, created.stderr);
  const started = await m.tsd('machine', 'start', m.name);
  t.is(started.code, 0, `${started.stderr}\n--- serial.log ---\n${await m.serial()}`);

  const status = await m.status();
  t.is(status.arch, 'aarch64');
  t.is(status.accel, 'tcg');
  const version = await m.docker('version', '--format', '{{.Server.Os}}/{{.Server.Arch}} {{.Server.KernelVersion}}');
  t.is(version.code, 0, version.stderr);
  t.regex(version.stdout.trim(), /^linux\/arm64 6\.1\.\S+-arm64$/);
  const images = await m.docker('images', '--format', '{{.ID}}');
  t.is(images.code, 0, `docker images (through containerd): ${images.stderr}`);
  const uname = await m.tsd('machine', 'ssh', m.name, '--', 'uname', '-m');
  t.is(uname.stdout.trim(), 'aarch64', uname.stderr);

  const stopped = await m.tsd('machine', 'stop', m.name);
  t.is(stopped.code, 0, stopped.stderr);
  t.regex(await m.serial(), /reboot: Power down/);
  const deleted = await m.tsd('machine', 'delete', m.name, '--force');
  t.is(deleted.code, 0, deleted.stderr);
});
