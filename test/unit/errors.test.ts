import test from 'ava';
import { TsdError, asTsdError } from '../../guest/api/errors.js';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';

test('asTsdError keeps TsdErrors and wraps everything else as internal', (t) => {
  const original = new TsdError('not-found', 'no such machine: x');
  t.is(asTsdError(original), original);
  const wrapped = asTsdError(new Error('boom'));
  t.is(wrapped.code, 'internal');
  t.is(wrapped.message, 'boom');
  t.is(asTsdError('text').message, 'text');
});

test('every error code maps to a distinct non-zero exit code', (t) => {
  const codes = Object.values(EXIT_CODES);
  t.true(codes.every((code) => code > 0));
  t.is(new Set(codes).size, codes.length);
});
