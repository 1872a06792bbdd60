import test from 'ava';
import { TsdError } from '../../guest/api/errors.js';
import { moduleClosure, moduleName, parseModuleIndex } from '../../src/image/module-closure.js';

// Excerpts of a real 6.1 amd64 modules.dep / softdep / alias / builtin.
const INDEX = parseModuleIndex({
  dep: `kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
kernel/lib/crc16.ko:
kernel/fs/mbcache.ko:
kernel/fs/jbd2/jbd2.ko:
kernel/arch/x86/crypto/crc32c-intel.ko:
kernel/crypto/crc32c_generic.ko:
kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/net/bridge/br_netfilter.ko: kernel/net/bridge/bridge.ko kernel/net/802/stp.ko kernel/net/llc/llc.ko
kernel/net/bridge/bridge.ko: kernel/net/802/stp.ko kernel/net/llc/llc.ko
kernel/net/802/stp.ko: kernel/net/llc/llc.ko
kernel/net/llc/llc.ko:
kernel/drivers/net/veth.ko:
`,
  softdep: `# Soft dependencies extracted from modules themselves.
softdep ext4 pre: crypto-crc32c
softdep jbd2 pre: crypto-crc32c
softdep nfsd pre: crypto-md5
`,
  alias: `alias crypto-crc32c crc32c_intel
alias crypto-crc32c crc32c_generic
alias crc32c crc32c_generic
`,
  builtin: `kernel/drivers/block/loop.ko
kernel/fs/fuse/fuse.ko
`,
});

test('module names drop .ko and use underscores', (t) => {
  t.is(moduleName('kernel/arch/x86/crypto/crc32c-intel.ko'), 'crc32c_intel');
  t.is(moduleName('kernel/fs/ext4/ext4.ko.xz'), 'ext4');
});

test('the closure holds dependencies and soft dependencies resolved through aliases', (t) => {
  t.deepEqual(moduleClosure(['ext4'], INDEX), [
    'kernel/arch/x86/crypto/crc32c-intel.ko',
    'kernel/crypto/crc32c_generic.ko',
    'kernel/fs/ext4/ext4.ko',
    'kernel/fs/jbd2/jbd2.ko',
    'kernel/fs/mbcache.ko',
    'kernel/lib/crc16.ko',
  ]);
  t.deepEqual(moduleClosure(['br_netfilter', 'veth', 'bridge'], INDEX), [
    'kernel/drivers/net/veth.ko',
    'kernel/net/802/stp.ko',
    'kernel/net/bridge/br_netfilter.ko',
    'kernel/net/bridge/bridge.ko',
    'kernel/net/llc/llc.ko',
  ]);
});

test('built-in modules need no file; unknown modules are errors', (t) => {
  t.deepEqual(moduleClosure(['loop', 'fuse', 'virtio_mmio'], INDEX), [
    'kernel/drivers/virtio/virtio.ko',
    'kernel/drivers/virtio/virtio_mmio.ko',
    'kernel/drivers/virtio/virtio_ring.ko',
  ]);
  const error = t.throws(() => moduleClosure(['ext4', 'no_such_module'], INDEX), { instanceOf: TsdError });
  t.is(error.code, 'not-found');
  t.regex(error.message, /no_such_module/);
});
