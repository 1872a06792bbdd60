/**
 * What a request says about itself in its gRPC metadata: the namespace
 * (`containerd-namespace`, as containerd's clients send it) and the lease (`containerd-lease`)
 * under which created resources are held.
 */
import type { Metadata } from '@grpc/grpc-js';
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

export function callContext(metadata: Metadata): CallContext {
  const namespace = firstValue(metadata, NAMESPACE_HEADER);
  const lease = firstValue(metadata, LEASE_HEADER);
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

function firstValue(metadata: Metadata, key: string): string | undefined {
  const [value] = metadata.get(key);
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : value.toString('utf8');
  return text === '' ? undefined : text;
}
