/** Pure parts of the server: the TsdError -> gRPC status table, the event exchange's filters. */
import test from 'ava';
import { status } from '@grpc/grpc-js';
import { TsdError, type ErrorCode } from '../../guest/api/errors.js';
import { decodeEvent } from '../../guest/containerd/api/event-types.js';
import { EventExchange, type Envelope } from '../../guest/containerd/server/event-exchange.js';
import { GRPC_STATUS, toServiceError } from '../../guest/containerd/server/grpc-status.js';

test('every error code maps to the status containerd uses, with its errdefs word once', (t) => {
  const expected: Record<ErrorCode, status> = {
    'not-found': status.NOT_FOUND,
    'already-exists': status.ALREADY_EXISTS,
    'invalid-argument': status.INVALID_ARGUMENT,
    conflict: status.FAILED_PRECONDITION,
    unavailable: status.UNAVAILABLE,
    unsupported: status.UNIMPLEMENTED,
    internal: status.INTERNAL,
  };
  t.deepEqual(GRPC_STATUS, expected);
  t.like(toServiceError(new TsdError('not-found', 'image "x"')), { code: status.NOT_FOUND, details: 'image "x": not found' });
  t.is(toServiceError(new TsdError('not-found', 'thing: not found')).details, 'thing: not found');
  t.like(toServiceError(new Error('boom')), { code: status.INTERNAL, details: 'boom' });
});

test('the exchange delivers envelopes matching any filter, until the subscriber leaves', (t) => {
  const exchange = new EventExchange();
  const got: Envelope[] = [];
  const leave = new AbortController();
  exchange.subscribe(['topic~=^/images/,namespace==a', 'topic==/snapshot/commit'], (e) => got.push(e), leave.signal);
  exchange.emit('a', 'imageCreate', { name: 'x', labels: {} });
  exchange.emit('b', 'imageCreate', { name: 'y', labels: {} });
  exchange.emit('b', 'snapshotCommit', { key: 'k', name: 'n' });
  exchange.emit('a', 'namespaceCreate', { name: 'z', labels: {} });
  t.deepEqual(got.map((e) => [e.namespace, e.topic]), [['a', '/images/create'], ['b', '/snapshot/commit']]);
  t.like(decodeEvent(got[0]!.event!), { name: 'x' });
  t.is(got[0]!.event!.type_url, 'containerd.services.images.v1.ImageCreate');
  leave.abort();
  exchange.emit('a', 'imageCreate', { name: 'late', labels: {} });
  t.is(got.length, 2);
  t.throws(() => exchange.publish('a', 'images/create', null), { message: /must be "\/"-separated/ });
});
