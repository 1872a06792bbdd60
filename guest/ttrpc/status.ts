/**
 * Errors on the wire are google.rpc.Status {code, message}: gRPC codes. TsdError codes map to
 * them in one table (the same choices as containerd's errdefs.ToGRPC, so containerd turns them
 * back into errdefs errors) and back again on the client side.
 */
import { asTsdError, TsdError, type ErrorCode } from '../api/errors.js';

export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

const TO_GRPC: Record<ErrorCode, GrpcCode> = {
  'not-found': GrpcCode.NOT_FOUND,
  'already-exists': GrpcCode.ALREADY_EXISTS,
  'invalid-argument': GrpcCode.INVALID_ARGUMENT,
  conflict: GrpcCode.FAILED_PRECONDITION,
  unavailable: GrpcCode.UNAVAILABLE,
  unsupported: GrpcCode.UNIMPLEMENTED,
  internal: GrpcCode.INTERNAL,
};

function toErrorCode(code: number): ErrorCode {
  switch (code) {
    case GrpcCode.NOT_FOUND:
      return 'not-found';
    case GrpcCode.ALREADY_EXISTS:
      return 'already-exists';
    case GrpcCode.INVALID_ARGUMENT:
    case GrpcCode.OUT_OF_RANGE:
      return 'invalid-argument';
    case GrpcCode.FAILED_PRECONDITION:
      return 'conflict';
    case GrpcCode.UNAVAILABLE:
    case GrpcCode.DEADLINE_EXCEEDED:
    case GrpcCode.CANCELLED:
      return 'unavailable';
    case GrpcCode.UNIMPLEMENTED:
      return 'unsupported';
    default:
      return 'internal';
  }
}

/** A TsdError that also carries the exact gRPC code it came with (or should go out with). */
export class TtrpcError extends TsdError {
  readonly grpcCode: number;

  constructor(grpcCode: number, message: string, options?: { cause?: unknown }) {
    super(toErrorCode(grpcCode), message, options);
    this.name = 'TtrpcError';
    this.grpcCode = grpcCode;
  }
}

export interface WireStatus {
  code: number;
  message: string;
}

/** Any thrown value -> the status a server sends. */
export function toWireStatus(error: unknown): WireStatus {
  if (error instanceof TtrpcError) return { code: error.grpcCode, message: error.message };
  const tsd = asTsdError(error);
  return { code: TO_GRPC[tsd.code], message: tsd.message };
}

/** A non-OK status a client received -> the error its caller sees. */
export function fromWireStatus(status: WireStatus): TtrpcError {
  return new TtrpcError(status.code, status.message || `ttrpc status ${status.code}`);
}
