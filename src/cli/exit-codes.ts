import type { ErrorCode } from '../../guest/api/errors.js';

/** Process exit code for each error code of the CLI (one table, used by the base command). */
export const EXIT_CODES: Record<ErrorCode, number> = {
  'invalid-argument': 2,
  'not-found': 3,
  'already-exists': 4,
  conflict: 5,
  unavailable: 6,
  unsupported: 7,
  internal: 1,
};
