import test from 'ava';
import {
  blkioWeightToIoWeight, cpuMax, cpuSharesToWeight, hugepageSize, memorySwapToV2, pidsMax,
} from '../../guest/runc/cgroups/convert.js';
import { pageSizeName } from '../../guest/runc/cgroups/hugepages.js';

test('cpu shares → weight: runc ≥ 1.3 log-scale mapping with fixed points', (t) => {
  t.is(cpuSharesToWeight(0), 0);
  t.is(cpuSharesToWeight(1), 1);
  t.is(cpuSharesToWeight(2), 1);
  t.is(cpuSharesToWeight(1024), 100, 'the v1 default maps to the v2 default');
  t.is(cpuSharesToWeight(262144), 10000);
  t.is(cpuSharesToWeight(10_000_000), 10000);
  t.is(cpuSharesToWeight(512), 59);
  t.is(cpuSharesToWeight(2048), 174);
  // Monotonic over the whole range.
  let last = 0;
  for (let s = 2; s <= 262144; s *= 2) {
    const w = cpuSharesToWeight(s);
    t.true(w >= last && w >= 1 && w <= 10000);
    last = w;
  }
});

test('blkio weight → io.weight', (t) => {
  t.is(blkioWeightToIoWeight(0), 0);
  t.is(blkioWeightToIoWeight(10), 1);
  t.is(blkioWeightToIoWeight(500), 4950);
  t.is(blkioWeightToIoWeight(1000), 10000);
});

test('memory+swap → memory.swap.max as runc converts it', (t) => {
  t.is(memorySwapToV2(0, -1), -1, 'unlimited memory, unset swap: unlimited swap');
  t.is(memorySwapToV2(-1, 100), -1);
  t.is(memorySwapToV2(0, 100), 0);
  t.is(memorySwapToV2(300, 100), 200);
  t.is(memorySwapToV2(100, 100), 0, 'memory == memory+swap means no swap');
  t.throws(() => memorySwapToV2(300, 0), { message: /without a memory limit/ });
  t.throws(() => memorySwapToV2(300, -1), { message: /without a memory limit/ });
  t.throws(() => memorySwapToV2(50, 100), { message: /must be >= the memory limit/ });
});

test('cpu.max, pids.max, hugepage sizes', (t) => {
  t.is(cpuMax(undefined, undefined), undefined);
  t.is(cpuMax(50000, 100000), '50000 100000');
  t.is(cpuMax(-1, 100000), 'max 100000');
  t.is(cpuMax(20000, undefined), '20000');
  t.is(cpuMax(undefined, 250000), 'max 250000');
  t.is(pidsMax(10), '10');
  t.is(pidsMax(0), 'max');
  t.is(pidsMax(-1), 'max');
  t.is(hugepageSize('2MB'), '2MB');
  t.throws(() => hugepageSize('2M'), { message: /invalid pageSize "2M"/ });
  t.is(pageSizeName('hugepages-2048kB'), '2MB');
  t.is(pageSizeName('hugepages-1048576kB'), '1GB');
  t.is(pageSizeName('hugepages-64kB'), '64KB');
  t.is(pageSizeName('other'), undefined);
});
