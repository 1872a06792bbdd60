/**
 * Kernel module signatures as Debian appends them (scripts/sign-file): the module's ELF bytes, the
 * PKCS#7 signature, a 12-byte `struct module_signature` (its last 4 bytes: the signature's length,
 * big-endian) and the marker "~Module signature appended~\n". Without them a kernel built without
 * CONFIG_MODULE_SIG_FORCE (Debian's) still loads the module, logs "module verification failed"
 * once and sets the E taint flag; it skips hashing the module and verifying an RSA signature.
 */
import { TsdError } from '../../guest/api/errors.js';

const MARKER = Buffer.from('~Module signature appended~\n');
const INFO_SIZE = 12;

/** The module without its appended signature (the same bytes when it has none). */
export function stripModuleSignature(module: Buffer, name = 'module'): Buffer {
  if (module.length < MARKER.length || !module.subarray(module.length - MARKER.length).equals(MARKER)) return module;
  const infoEnd = module.length - MARKER.length;
  if (infoEnd < INFO_SIZE) throw new TsdError('invalid-argument', `${name}: signature marker without a signature`);
  const info = module.subarray(infoEnd - INFO_SIZE, infoEnd);
  // struct module_signature: algo, hash, id_type, signer_len, key_id_len, 3 pad bytes, sig_len (be32)
  const signed = INFO_SIZE + info[3]! + info[4]! + info.readUInt32BE(8);
  if (signed > infoEnd) throw new TsdError('invalid-argument', `${name}: signature length ${signed} exceeds the file`);
  return module.subarray(0, infoEnd - signed);
}
