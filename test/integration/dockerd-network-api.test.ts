/**
 * /networks through the real docker CLI against the engine server (own bridge name and subnets;
 * no containers needed): create with IPAM, ls with filters, inspect, the 403/404/409 errors, rm,
 * prune. Bridges this test makes are deleted afterwards.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { RunningEngine } from '../../guest/dockerd/engine-server.js';
import { networkingOf } from '../../guest/dockerd/network/engine-wiring.js';
import { startBareEngine, type EngineServerFixture } from '../helpers/engine-server-fixture.js';

const run = promisify(execFile);
const tag = randomBytes(3).toString('hex');

let server: EngineServerFixture;
let engine: RunningEngine;
let bridges: string[] = [];

test.before(async () => {
  server = await startBareEngine({ prefix: 'tsdh5-netapi-', bridge: `tsdh5a${tag}`, pool: '10.194.0.0/16' });
  engine = server.engine;
});

test.after.always(async () => {
  if (!server) return;
  const service = await networkingOf(engine.context).service().catch(() => undefined);
  bridges = service?.table.all().flatMap((network) => (network.Bridge ? [network.Bridge] : [])) ?? [];
  await server.stop();
  for (const bridge of bridges) await run('ip', ['link', 'del', 'dev', bridge]).catch(() => undefined);
});

const docker = (...args: string[]): Promise<{ stdout: string; stderr: string }> => server.docker(...args);
const dockerFails = (...args: string[]): Promise<string> => server.dockerFails(...args);
const raw = (method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> => server.raw(method, path, body);

test.serial('docker network ls shows the predefined networks; the default bridge is ours, not docker0', async (t) => {
  const { stdout } = await docker('network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}');
  t.deepEqual(stdout.trim().split('\n').sort(), ['bridge bridge local', 'host host local', 'none null local']);
  const inspect = JSON.parse((await docker('network', 'inspect', 'bridge')).stdout) as [{ Options: Record<string, string>; IPAM: { Config: [{ Subnet: string; Gateway: string }] } }];
  t.is(inspect[0].Options['com.docker.network.bridge.name'], `tsdh5a${tag}`);
  t.regex(inspect[0].IPAM.Config[0].Subnet, /^10\.194\.\d+\.0\/24$/);
  const link = (await run('ip', ['-4', '-o', 'addr', 'show', 'dev', `tsdh5a${tag}`])).stdout;
  t.true(link.includes(`${inspect[0].IPAM.Config[0].Gateway}/24`));
});

test.serial('create with IPAM and labels, inspect, filters, duplicate and overlap errors, rm, prune', async (t) => {
  const name = `h5net-${tag}`;
  const id = (await docker('network', 'create', '--subnet', '10.195.7.0/24', '--gateway', '10.195.7.254', '--label', 'team=h5', name)).stdout.trim();
  t.regex(id, /^[0-9a-f]{64}$/);
  const [net] = JSON.parse((await docker('network', 'inspect', name)).stdout) as [{ Id: string; Driver: string; IPAM: { Config: unknown[] }; Labels: Record<string, string>; Containers: object }];
  t.is(net.Id, id);
  t.deepEqual(net.IPAM.Config, [{ Subnet: '10.195.7.0/24', Gateway: '10.195.7.254' }]);
  t.deepEqual(net.Labels, { team: 'h5' });
  t.deepEqual(net.Containers, {});
  t.true((await run('ip', ['-4', '-o', 'addr', 'show', 'dev', `br-${id.slice(0, 12)}`])).stdout.includes('10.195.7.254/24'));

  t.is((await docker('network', 'ls', '--filter', 'label=team=h5', '--format', '{{.Name}}')).stdout.trim(), name);
  t.is((await docker('network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}')).stdout.trim(), name);
  t.is((await docker('network', 'ls', '-q', '--no-trunc', '--filter', `id=${id.slice(0, 10)}`)).stdout.trim(), id);

  t.regex(await dockerFails('network', 'create', name), new RegExp(`network with name ${name} already exists`));
  t.regex(await dockerFails('network', 'create', '--subnet', '10.195.7.128/25', `other-${tag}`), /Pool overlaps with other one on this address space/);
  t.regex(await dockerFails('network', 'create', '--subnet', '10.195.8.0/24', '--gateway', '10.195.9.1', `other-${tag}`), /no matching subnet for gateway 10\.195\.9\.1/);
  t.regex(await dockerFails('network', 'inspect', `missing-${tag}`), new RegExp(`network missing-${tag} not found`));

  const forbidden = await raw('DELETE', '/v1.51/networks/bridge');
  t.is(forbidden.status, 403);
  t.deepEqual(JSON.parse(forbidden.body), { message: 'bridge is a pre-defined network and cannot be removed' });
  t.is((await raw('DELETE', `/v1.51/networks/missing-${tag}`)).status, 404);
  t.is((await raw('POST', '/v1.51/networks/create', { Name: 'bad name!' })).status, 400);
  t.is((await raw('POST', '/v1.51/networks/create', { Name: `x-${tag}`, Driver: 'overlay' })).status, 404);
  const typed = await raw('POST', '/v1.51/networks/create', { Name: `x-${tag}`, Internal: 'yes' });
  t.is(typed.status, 400);
  t.is(JSON.parse(typed.body).message, 'invalid JSON: json: cannot unmarshal string into Go struct field CreateRequest.Internal of type bool');
  const malformed = await raw('POST', '/v1.51/networks/create', '{"Name": ');
  t.is(malformed.status, 400);
  t.is((await raw('POST', `/v1.51/networks/${id}/connect`, { Container: `missing-${tag}` })).status, 404);

  await docker('network', 'rm', name);
  t.false((await run('ip', ['-o', 'link'])).stdout.includes(`br-${id.slice(0, 12)}`));

  await docker('network', 'create', `prune-a-${tag}`);
  await docker('network', 'create', '--label', 'keep=1', `prune-b-${tag}`);
  const pruned = (await docker('network', 'prune', '-f', '--filter', 'label!=keep')).stdout;
  t.true(pruned.includes(`prune-a-${tag}`));
  t.false(pruned.includes(`prune-b-${tag}`));
  t.is((await docker('network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}')).stdout.trim(), `prune-b-${tag}`);
  await docker('network', 'rm', `prune-b-${tag}`);
});
