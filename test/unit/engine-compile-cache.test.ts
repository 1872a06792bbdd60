import test from 'ava';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { compileCacheDir } from '../../guest/engine/guest-node.js';

test('host mode gives the daemons the user\'s NODE_COMPILE_CACHE when set', (t) => {
  t.is(compileCacheDir({ NODE_COMPILE_CACHE: '/srv/cache', TSD_CACHE: '/srv/tsd' }), '/srv/cache');
});

test('else a directory in the tsd cache, which TSD_CACHE moves', (t) => {
  t.is(compileCacheDir({ TSD_CACHE: '/srv/tsd' }), '/srv/tsd/node-compile-cache');
  t.is(compileCacheDir({ NODE_COMPILE_CACHE: '' }), join(homedir(), '.cache', 'tsd', 'node-compile-cache'));
});
