/**
 * What a request says about itself in its gRPC metadata: the namespace
 * (`containerd-namespace`, as containerd's clients send it) and the lease (`containerd-lease`)
 * under which created resources are held.
 */
import type { IncomingHttpHeaders } from 'node:http2';
import { TsdError } from '../../api/errors.js';
import { validateIdentifier } from '../metadata/identifiers.js';

export const NAMESPACE_HEADER = 'containerd-namespace';
export const LEASE_HEADER = 'containerd-lease';

export interface CallContext {
  /** The namespace header, when sent. */
  readonly namespace: string | undefined;
  readonly lease: string | undefined;
  /** The namespace, or FailedPrecondition like containerd's namespaces.NamespaceRequired. */
  requireNamespace(): string;
}

export function callContext(headers: IncomingHttpHeaders): CallContext {
  const namespace = firstValue(headers, NAMESPACE_HEADER);
  const lease = firstValue(headers, LEASE_HEADER);
  if (namespace !== undefined) validateIdentifier(namespace, 'namespace');
  return {
    namespace,
    lease,
    requireNamespace() {
      if (namespace === undefined) throw new TsdError('conflict', 'namespace is required (send the containerd-namespace header)');
      return namespace;
    },
  };
}

/** gRPC metadata arrives as HTTP/2 headers (lower-case names); a repeated one counts by its first value. */
function firstValue(headers: IncomingHttpHeaders, key: string): string | undefined {
  const value = headers[key];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}
