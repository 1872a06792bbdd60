import test from 'ava';
import { buildQemuArgv, kernelCommandLine, optionValue, type QemuLaunchSpec } from '../../src/machine/qemu/argv.js';
import { TsdError } from '../../guest/api/errors.js';

function spec(overrides: Partial<QemuLaunchSpec> = {}): QemuLaunchSpec {
  return {
    platform: 'linux',
    arch: 'x86_64',
    accel: 'tcg',
    name: 'default',
    cpus: 2,
    memoryMiB: 1024,
    kernelPath: '/cache/vmlinuz',
    initrdPath: '/cache/initrd.img',
    kernelArgs: ['rdinit=/init', 'quiet'],
    dataDiskPath: '/home/u/.tsd/machines/default/disk.qcow2',
    sshPort: 41022,
    portForwards: [],
    mounts: [],
    guestConfigPath: '/home/u/.tsd/machines/default/guest-config.json',
    qmpSocketPath: '/home/u/.tsd/machines/default/qmp.sock',
    serialLogPath: '/home/u/.tsd/machines/default/serial.log',
    ...overrides,
  };
}

/** The value following a flag (first occurrence), e.g. valueOf(argv, '-M'). */
function valueOf(argv: string[], flag: string): string | undefined {
  const index = argv.indexOf(flag);
  return index === -1 ? undefined : argv[index + 1];
}

function valuesOf(argv: string[], flag: string): string[] {
  return argv.flatMap((arg, i) => (arg === flag ? [argv[i + 1] ?? ''] : []));
}

test('linux + tcg + x86_64: microvm with ACPI, -cpu max, virtio-mmio devices', (t) => {
  const argv = buildQemuArgv(spec());
  t.is(valueOf(argv, '-M'), 'microvm,acpi=on,rtc=on');
  t.is(valueOf(argv, '-accel'), 'tcg');
  t.is(valueOf(argv, '-cpu'), 'max');
  t.is(valueOf(argv, '-smp'), '2');
  t.is(valueOf(argv, '-m'), '1024M');
  t.is(valueOf(argv, '-kernel'), '/cache/vmlinuz');
  t.is(valueOf(argv, '-initrd'), '/cache/initrd.img');
  t.true(argv.includes('-nodefaults'));
  t.true(argv.includes('-no-reboot'));
  t.is(valueOf(argv, '-display'), 'none');
  t.deepEqual(valuesOf(argv, '-device'), [
    'virtio-net-device,netdev=net0',
    'virtio-blk-device,drive=data,serial=tsd-data',
    'virtio-rng-device',
  ]);
  t.is(valueOf(argv, '-netdev'), 'user,id=net0,hostfwd=tcp:127.0.0.1:41022-:22');
  t.is(valueOf(argv, '-drive'), 'if=none,id=data,file=/home/u/.tsd/machines/default/disk.qcow2,format=qcow2,discard=unmap');
  t.is(valueOf(argv, '-fw_cfg'), 'name=opt/dev.tsd/guest-config,file=/home/u/.tsd/machines/default/guest-config.json');
  t.is(valueOf(argv, '-qmp'), 'unix:/home/u/.tsd/machines/default/qmp.sock,server=on,wait=off');
  t.is(valueOf(argv, '-chardev'), 'file,id=serial0,path=/home/u/.tsd/machines/default/serial.log');
  t.is(valueOf(argv, '-serial'), 'chardev:serial0');
});

test('the kernel command line has the console, panic handling and the image arguments', (t) => {
  t.is(kernelCommandLine(spec()), 'console=ttyS0 panic=-1 rdinit=/init quiet');
  t.is(kernelCommandLine(spec({ arch: 'aarch64' })), 'console=ttyAMA0 panic=-1 rdinit=/init quiet');
  t.is(valueOf(buildQemuArgv(spec()), '-append'), 'console=ttyS0 panic=-1 rdinit=/init quiet');
});

test('linux + kvm: -accel kvm with the host CPU', (t) => {
  const argv = buildQemuArgv(spec({ accel: 'kvm' }));
  t.is(valueOf(argv, '-accel'), 'kvm');
  t.is(valueOf(argv, '-cpu'), 'host');
});

test('darwin + hvf + aarch64: virt board, host CPU, virtio-pci, ttyAMA0', (t) => {
  const argv = buildQemuArgv(spec({ platform: 'darwin', arch: 'aarch64', accel: 'hvf' }));
  t.is(valueOf(argv, '-M'), 'virt');
  t.is(valueOf(argv, '-accel'), 'hvf');
  t.is(valueOf(argv, '-cpu'), 'host');
  t.true(valuesOf(argv, '-device').every((device) => device.startsWith('virtio-') && device.split(',')[0]!.endsWith('-pci')));
  t.regex(valueOf(argv, '-append') ?? '', /^console=ttyAMA0 /);
});

test('darwin + hvf + x86_64 (Intel Mac): microvm with the host CPU', (t) => {
  const argv = buildQemuArgv(spec({ platform: 'darwin', accel: 'hvf' }));
  t.is(valueOf(argv, '-M'), 'microvm,acpi=on,rtc=on');
  t.is(valueOf(argv, '-accel'), 'hvf');
  t.is(valueOf(argv, '-cpu'), 'host');
});

test('win32 + whpx: userspace irqchip, paths with commas escaped', (t) => {
  const argv = buildQemuArgv(
    spec({ platform: 'win32', accel: 'whpx', dataDiskPath: 'C:\\Users\\a,b\\.tsd\\machines\\default\\disk.qcow2' }),
  );
  t.is(valueOf(argv, '-accel'), 'whpx,kernel-irqchip=off');
  t.is(valueOf(argv, '-drive'), 'if=none,id=data,file=C:\\Users\\a,,b\\.tsd\\machines\\default\\disk.qcow2,format=qcow2,discard=unmap');
});

test('win32 with mounts is refused clearly (no virtio-9p there)', (t) => {
  const error = t.throws(() => buildQemuArgv(spec({ platform: 'win32', accel: 'whpx', mounts: [{ tag: 'tsd0', hostPath: 'C:\\src', writable: true }] })));
  t.true(error instanceof TsdError);
  t.is((error as TsdError).code, 'unsupported');
});

test('aarch64 + tcg: virt with -cpu max', (t) => {
  const argv = buildQemuArgv(spec({ arch: 'aarch64' }));
  t.is(valueOf(argv, '-M'), 'virt');
  t.is(valueOf(argv, '-cpu'), 'max');
  t.true(valuesOf(argv, '-device').includes('virtio-blk-pci,drive=data,serial=tsd-data'));
});

test('x86_64 q35 uses virtio-pci devices', (t) => {
  const argv = buildQemuArgv(spec({ machineType: 'q35' }));
  t.is(valueOf(argv, '-M'), 'q35');
  t.true(valuesOf(argv, '-device').includes('virtio-net-pci,netdev=net0'));
});

test('mounts become 9p fsdevs with tags; read-only unless writable', (t) => {
  const argv = buildQemuArgv(
    spec({
      mounts: [
        { tag: 'tsd0', hostPath: '/home/u/src', writable: true },
        { tag: 'tsd1', hostPath: '/data', writable: false },
      ],
    }),
  );
  t.deepEqual(valuesOf(argv, '-fsdev'), [
    'local,id=fs0,path=/home/u/src,security_model=none',
    'local,id=fs1,path=/data,security_model=none,readonly=on',
  ]);
  t.true(valuesOf(argv, '-device').includes('virtio-9p-device,fsdev=fs0,mount_tag=tsd0'));
  t.true(valuesOf(argv, '-device').includes('virtio-9p-device,fsdev=fs1,mount_tag=tsd1'));
});

test('a read-only root disk is attached with its serial; port forwards become hostfwds', (t) => {
  const argv = buildQemuArgv(
    spec({
      rootDiskPath: '/cache/root.erofs',
      portForwards: [
        { proto: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, guestPort: 80 },
        { proto: 'udp', hostIp: '0.0.0.0', hostPort: 5353, guestPort: 53 },
      ],
    }),
  );
  t.true(valuesOf(argv, '-drive').includes('if=none,id=root,file=/cache/root.erofs,format=raw,readonly=on'));
  t.true(valuesOf(argv, '-device').includes('virtio-blk-device,drive=root,serial=tsd-root'));
  t.is(valueOf(argv, '-netdev'), 'user,id=net0,hostfwd=tcp:127.0.0.1:41022-:22,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:0.0.0.0:5353-:53');
});

test('optionValue doubles commas', (t) => {
  t.is(optionValue('/a,b,c'), '/a,,b,,c');
  t.is(optionValue('/plain'), '/plain');
});

test('microvm under tcg gets the host TSC rate so the kernel skips PIT calibration', (t) => {
  t.is(kernelCommandLine(spec({ tscKhz: 2596120 })), 'console=ttyS0 panic=-1 tsc_early_khz=2596120 tsc=reliable rdinit=/init quiet');
  t.is(kernelCommandLine(spec({ tscKhz: 2596120, machineType: 'q35' })), 'console=ttyS0 panic=-1 rdinit=/init quiet', 'q35 has HPET/PM timer');
  t.is(kernelCommandLine(spec({ tscKhz: 2596120, accel: 'kvm' })), 'console=ttyS0 panic=-1 rdinit=/init quiet', 'kvm has a paravirtual clock');
  t.is(kernelCommandLine(spec({ tscKhz: 2596120, arch: 'aarch64' })), 'console=ttyAMA0 panic=-1 rdinit=/init quiet');
});

test('with the kernel\'s HZ, tcg microvm also gets lpj= (TSC cycles per jiffy), as the boot CPU computes it', (t) => {
  // 2596120 kHz at HZ 250: the boot CPU's own "lpj=10384480" in a serial log of this host
  t.is(kernelCommandLine(spec({ tscKhz: 2596120, kernelHz: 250 })), 'console=ttyS0 panic=-1 tsc_early_khz=2596120 tsc=reliable lpj=10384480 rdinit=/init quiet');
  t.is(kernelCommandLine(spec({ tscKhz: 2596120, kernelHz: 1000 })), 'console=ttyS0 panic=-1 tsc_early_khz=2596120 tsc=reliable lpj=2596120 rdinit=/init quiet');
  t.is(kernelCommandLine(spec({ kernelHz: 250 })), 'console=ttyS0 panic=-1 rdinit=/init quiet', 'no TSC rate, no lpj');
  t.is(kernelCommandLine(spec({ tscKhz: 2596120, kernelHz: 250, accel: 'kvm' })), 'console=ttyS0 panic=-1 rdinit=/init quiet', 'kvm calibrates quickly itself');
});
