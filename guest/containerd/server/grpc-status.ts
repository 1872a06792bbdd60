/**
 * TsdError codes -> gRPC status codes, in one table. The codes are the ones containerd's
 * errdefs.ToGRPC uses, so its clients (ctr, dockerd) turn them back into the same errdefs errors:
 * not-found -> NotFound, already-exists -> AlreadyExists, conflict -> FailedPrecondition, ...
 */
import { status, type ServiceError, Metadata } from '@grpc/grpc-js';
import { asTsdError, type ErrorCode } from '../../api/errors.js';

export const GRPC_STATUS: Record<ErrorCode, status> = {
  'not-found': status.NOT_FOUND,
  'already-exists': status.ALREADY_EXISTS,
  'invalid-argument': status.INVALID_ARGUMENT,
  conflict: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  unsupported: status.UNIMPLEMENTED,
  internal: status.INTERNAL,
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
  constructor(readonly grpcCode: status, message: string) {
    super(message);
  }
}

export function toServiceError(error: unknown): ServiceError {
  if (error instanceof GrpcStatusError) return serviceError(error.grpcCode, error.message);
  // A shim's status (guest/ttrpc's TtrpcError) goes out with the exact code and text it came with.
  const carried = (error as { grpcCode?: unknown } | null)?.grpcCode;
  if (error instanceof Error && typeof carried === 'number') return serviceError(carried as status, error.message);
  const tsd = asTsdError(error);
  const suffix = ERRDEFS_SUFFIX[tsd.code];
  const message = suffix && !tsd.message.endsWith(suffix) ? `${tsd.message}: ${suffix}` : tsd.message;
  return serviceError(GRPC_STATUS[tsd.code], message);
}

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}
