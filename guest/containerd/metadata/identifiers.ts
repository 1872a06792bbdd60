/**
 * containerd's identifier rule for namespaces, leases and container ids: alphanumerics joined by
 * single '.', '_' or '-', at most 76 characters.
 */
import { TsdError } from '../../api/errors.js';

const IDENTIFIER = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;
const MAX_LENGTH = 76;

export function validateIdentifier(value: string, what: string): void {
  if (value === '') throw new TsdError('invalid-argument', `${what}: identifier must not be empty`);
  if (value.length > MAX_LENGTH) throw new TsdError('invalid-argument', `${what} "${value}": identifier is longer than ${MAX_LENGTH} characters`);
  if (!IDENTIFIER.test(value)) {
    throw new TsdError('invalid-argument', `${what} "${value}": identifier must be letters and digits joined by single '.', '_' or '-'`);
  }
}
