import test from 'ava';
import { idleLingerMs } from '../../guest/shim/idle-linger.js';

test('TSD_SHIM_IDLE_SECONDS: 30 s by default, seconds (0 or more) when set', (t) => {
  t.is(idleLingerMs({}), 30_000);
  t.is(idleLingerMs({ TSD_SHIM_IDLE_SECONDS: '' }), 30_000);
  t.is(idleLingerMs({ TSD_SHIM_IDLE_SECONDS: '0' }), 0);
  t.is(idleLingerMs({ TSD_SHIM_IDLE_SECONDS: '2.5' }), 2500);
});

test('TSD_SHIM_IDLE_SECONDS: anything else is a clear error', (t) => {
  t.throws(() => idleLingerMs({ TSD_SHIM_IDLE_SECONDS: '-1' }), { message: 'TSD_SHIM_IDLE_SECONDS="-1": expected a number of seconds (0 or more)' });
  t.throws(() => idleLingerMs({ TSD_SHIM_IDLE_SECONDS: '30s' }), { message: /"30s": expected a number of seconds/ });
});
