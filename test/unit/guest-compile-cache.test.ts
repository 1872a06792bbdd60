/**
 * flushCompileCacheSoon: a daemon writes Node's compile cache shortly after its start when Node keeps
 * one, and does nothing when it does not (no directory, or a Node without the API).
 */
import test from 'ava';
import { flushCompileCacheSoon } from '../../guest/lib/compile-cache.js';

test('flushes once after the delay when Node keeps a compile cache', async (t) => {
  let flushed = 0;
  t.true(flushCompileCacheSoon(1, { getCompileCacheDir: () => '/cache', flushCompileCache: () => void flushed++ }));
  t.is(flushed, 0, 'not during the start itself');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(flushed, 1);
});

test('does nothing without a cache directory or on a Node without flushCompileCache', async (t) => {
  let flushed = 0;
  t.false(flushCompileCacheSoon(1, { getCompileCacheDir: () => undefined, flushCompileCache: () => void flushed++ }));
  t.false(flushCompileCacheSoon(1, { getCompileCacheDir: () => '/cache' }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(flushed, 0);
});

test('a failing write is not an error of the daemon', async (t) => {
  t.true(flushCompileCacheSoon(1, { getCompileCacheDir: () => '/cache', flushCompileCache: () => { throw new Error('EROFS'); } }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.pass();
});
