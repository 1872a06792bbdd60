import test from 'ava';
import { guestArchFor } from '../../src/config/host.js';
import { parseMachineConfig } from '../../src/config/load.js';
import { issueOf, linux, mac, windows, yaml } from './config-fixtures.js';

test('each hardware accelerator is accepted on its own OS', (t) => {
  t.is(parseMachineConfig('accel: hvf\n', 'm.yaml', mac).accel, 'hvf');
  t.is(parseMachineConfig('accel: whpx\n', 'm.yaml', windows).accel, 'whpx');
  t.is(parseMachineConfig('accel: kvm\n', 'm.yaml', linux).accel, 'kvm');
  for (const host of [linux, mac, windows]) {
    t.is(parseMachineConfig('accel: tcg\n', 'm.yaml', host).accel, 'tcg');
    t.is(parseMachineConfig('accel: auto\narch: aarch64\n', 'm.yaml', host).arch, 'aarch64');
  }
});

test('an accelerator of another OS names the key, the host OS and what is valid here', (t) => {
  t.like(issueOf(t, yaml('cpus: 2', 'accel: hvf'), linux), {
    path: 'accel',
    position: { line: 2, column: 8 },
    message: '"hvf" exists only on macOS, and this host runs Linux; valid here: "auto", "kvm" or "tcg"',
  });
  t.like(issueOf(t, 'accel: kvm\n', mac), {
    message: '"kvm" exists only on Linux, and this host runs macOS; valid here: "auto", "hvf" or "tcg"',
  });
  t.like(issueOf(t, 'accel: hvf\n', windows), {
    message: '"hvf" exists only on macOS, and this host runs Windows; valid here: "auto", "whpx" or "tcg"',
  });
  t.like(issueOf(t, 'accel: whpx\n', linux), {
    message: '"whpx" exists only on Windows, and this host runs Linux; valid here: "auto", "kvm" or "tcg"',
  });
});

test('hardware acceleration needs the host architecture', (t) => {
  t.like(issueOf(t, yaml('arch: x86_64', 'accel: hvf'), mac), {
    path: 'accel',
    position: { line: 2, column: 8 },
    message: '"hvf" cannot run an x86_64 guest on this aarch64 host (hardware acceleration needs the host\'s own architecture); use accel: tcg or auto, or arch: aarch64',
  });
});

test("the default architecture is the host's", (t) => {
  t.is(guestArchFor('x64'), 'x86_64');
  t.is(guestArchFor('arm64'), 'aarch64');
  t.is(guestArchFor('riscv64'), 'x86_64');
  t.is(parseMachineConfig('accel: hvf\n', 'm.yaml', mac).arch, 'aarch64');
  t.is(parseMachineConfig('accel: kvm\n', 'm.yaml', linux).arch, 'x86_64');
});
