import test from 'ava';
import { formatSize, parseSize } from '../../src/config/sizes.js';
import { linux, yaml } from './config-fixtures.js';
import { parseMachineConfig } from '../../src/config/load.js';

test('bare numbers are in the key unit; strings carry binary units', (t) => {
  t.deepEqual(parseSize(2048, 'MiB'), { ok: true, value: 2048 });
  t.deepEqual(parseSize('2048', 'MiB'), { ok: true, value: 2048 });
  t.deepEqual(parseSize('4GiB', 'MiB'), { ok: true, value: 4096 });
  t.deepEqual(parseSize('4g', 'MiB'), { ok: true, value: 4096 });
  t.deepEqual(parseSize('1.5GiB', 'MiB'), { ok: true, value: 1536 });
  t.deepEqual(parseSize('2048MiB', 'MiB'), { ok: true, value: 2048 });
  t.deepEqual(parseSize('2097152KiB', 'MiB'), { ok: true, value: 2048 });
  t.deepEqual(parseSize(' 512 M ', 'MiB'), { ok: true, value: 512 });
  t.deepEqual(parseSize(60, 'GiB'), { ok: true, value: 60 });
  t.deepEqual(parseSize('100GiB', 'GiB'), { ok: true, value: 100 });
  t.deepEqual(parseSize('10240MiB', 'GiB'), { ok: true, value: 10 });
  t.deepEqual(parseSize('1TiB', 'GiB'), { ok: true, value: 1024 });
  t.deepEqual(parseSize('1.1GiB', 'GiB'), { ok: false, problem: '"1.1GiB" is not a whole number of GiB' });
});

test('bad sizes say what would be valid', (t) => {
  t.deepEqual(parseSize('4GB', 'MiB'), { ok: false, problem: '"4GB" uses a decimal unit; write "4GiB" (units: MiB, GiB, TiB)' });
  t.deepEqual(parseSize('4 PiB', 'MiB'), {
    ok: false,
    problem: 'unknown unit "PiB" in "4 PiB"; valid units: MiB, GiB, TiB (or M, G, T)',
  });
  t.deepEqual(parseSize('lots', 'MiB'), {
    ok: false,
    problem: 'expected a size such as 2048, "2048MiB" or "2GiB" (a bare number is in MiB), found the string "lots"',
  });
  t.deepEqual(parseSize(-1, 'GiB'), {
    ok: false,
    problem: 'expected a size such as 60, "60GiB" or "1TiB" (a bare number is in GiB), found the number -1',
  });
  t.false(parseSize(1.5, 'GiB').ok);
  t.false(parseSize('0.5KiB', 'MiB').ok);
});

test('formatSize writes the largest exact unit', (t) => {
  t.is(formatSize(2048, 'MiB'), '2GiB');
  t.is(formatSize(1536, 'MiB'), '1536MiB');
  t.is(formatSize(60, 'GiB'), '60GiB');
  t.is(formatSize(1024, 'GiB'), '1TiB');
  t.is(formatSize(0, 'MiB'), '0MiB');
  for (const mib of [512, 1000, 3072, 1048576]) t.deepEqual(parseSize(formatSize(mib, 'MiB'), 'MiB'), { ok: true, value: mib });
});

test('memory and disk accept every form in the file', (t) => {
  const config = parseMachineConfig(yaml('memory: "3072"', 'disk: 1TiB'), 'm.yaml', linux);
  t.is(config.memory, 3072);
  t.is(config.disk, 1024);
  t.is(parseMachineConfig('memory: 1.5GiB\n', 'm.yaml', linux).memory, 1536);
});
