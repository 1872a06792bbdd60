import test from 'ava';
import { TsdError } from '../../guest/api/errors.js';
import { stripModuleSignature } from '../../src/image/module-signature.js';

const MARKER = '~Module signature appended~\n';

/** A module as sign-file leaves it: ELF bytes, PKCS#7 blob, struct module_signature, marker. */
function signed(body: Buffer, signature: Buffer): Buffer {
  const info = Buffer.alloc(12);
  info[0] = 0; // algo (unused for PKCS#7)
  info[2] = 2; // id_type PKEY_ID_PKCS7
  info.writeUInt32BE(signature.length, 8);
  return Buffer.concat([body, signature, info, Buffer.from(MARKER)]);
}

test('the appended signature, its descriptor and the marker are removed', (t) => {
  const body = Buffer.from('\x7fELF module bytes');
  t.deepEqual(stripModuleSignature(signed(body, Buffer.alloc(691, 0xab))), body);
});

test('an unsigned module is returned as it is', (t) => {
  const body = Buffer.from('\x7fELF unsigned');
  t.is(stripModuleSignature(body), body);
});

test('a signature length beyond the file is refused with the module name', (t) => {
  const broken = signed(Buffer.from('x'), Buffer.alloc(4));
  broken.writeUInt32BE(10_000, broken.length - MARKER.length - 4);
  const error = t.throws(() => stripModuleSignature(broken, 'kernel/fs/ext4/ext4.ko'), { instanceOf: TsdError });
  t.regex(error?.message ?? '', /ext4\.ko: signature length \d+ exceeds the file/);
});
