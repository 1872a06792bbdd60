/**
 * TsdError codes -> gRPC status codes, in one table. The codes are the ones containerd's
 * errdefs.ToGRPC uses, so its clients (ctr, dockerd) turn them back into the same errdefs errors:
 * not-found -> NotFound, already-exists -> AlreadyExists, conflict -> FailedPrecondition, ...
 */
import { asTsdError, type ErrorCode } from '../../api/errors.js';
import { GrpcCode } from './grpc-codes.js';

export const GRPC_STATUS: Record<ErrorCode, GrpcCode> = {
  'not-found': GrpcCode.NOT_FOUND,
  'already-exists': GrpcCode.ALREADY_EXISTS,
  'invalid-argument': GrpcCode.INVALID_ARGUMENT,
  conflict: GrpcCode.FAILED_PRECONDITION,
  unavailable: GrpcCode.UNAVAILABLE,
  unsupported: GrpcCode.UNIMPLEMENTED,
  internal: GrpcCode.INTERNAL,
};

/** The errdefs word containerd appends to messages ("...: not found"), kept for familiar text. */
const ERRDEFS_SUFFIX: Partial<Record<ErrorCode, string>> = {
  'not-found': 'not found',
  'already-exists': 'already exists',
  'invalid-argument': 'invalid argument',
  conflict: 'failed precondition',
  unavailable: 'unavailable',
  unsupported: 'not implemented',
};

/** An error that already carries a gRPC code (e.g. OutOfRange for a content write). */
export class GrpcStatusError extends Error {
  constructor(readonly grpcCode: GrpcCode, message: string) {
    super(message);
  }
}

/** The status a call ends with: its code and the message for `grpc-message`. */
export interface CallStatus {
  code: GrpcCode;
  details: string;
}

export function toServiceError(error: unknown): CallStatus {
  if (error instanceof GrpcStatusError) return { code: error.grpcCode, details: error.message };
  // A shim's status (guest/ttrpc's TtrpcError) goes out with the exact code and text it came with.
  const carried = (error as { grpcCode?: unknown } | null)?.grpcCode;
  if (error instanceof Error && typeof carried === 'number') return { code: carried as GrpcCode, details: error.message };
  const tsd = asTsdError(error);
  const suffix = ERRDEFS_SUFFIX[tsd.code];
  const message = suffix && !tsd.message.endsWith(suffix) ? `${tsd.message}: ${suffix}` : tsd.message;
  return { code: GRPC_STATUS[tsd.code], details: message };
}
