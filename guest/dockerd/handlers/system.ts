/**
 * System endpoints: /_ping, /version, /info. Everything reported is read from the running system:
 * image counts from containerd, container counts from the container module's view.
 */
import type { ServerResponse } from 'node:http';
import { MAX_API_VERSION, MIN_API_VERSION } from '../api-version.js';
import type { EngineContext } from '../engine-context.js';
import { TSD_VERSION } from '../engine-options.js';
import { sendJson } from '../error-table.js';
import type { ApiRequest, Router } from '../router.js';
import { readSystemFacts } from '../system-facts.js';

/** The builder the engine offers: "1" is the classic builder (no BuildKit session endpoint). */
const BUILDER_VERSION = '1';

export function addSystemRoutes(router: Router, context: EngineContext): void {
  router.add('GET', '/_ping', (req, res) => ping(req, res));
  router.add('HEAD', '/_ping', (req, res) => ping(req, res));
  router.add('GET', '/version', async (_req, res) => sendJson(res, 200, version(await containerdVersion(context))));
  router.add('GET', '/info', async (_req, res) => sendJson(res, 200, await info(context)));
}

function ping(req: ApiRequest, res: ServerResponse): void {
  const headers = {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Builder-Version': BUILDER_VERSION,
    'Docker-Experimental': 'false',
    Swarm: 'inactive',
  };
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...headers, 'Content-Length': '0' });
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': '2' });
  res.end('OK');
}

/** containerd's own version for /version's Components; absent when containerd does not answer. */
async function containerdVersion(context: EngineContext): Promise<{ version: string; revision: string } | undefined> {
  return await context.containerd.connection
    .unary<object, { version: string; revision: string }>('containerd.services.version.v1.Version', 'Version', {})
    .catch(() => undefined);
}

function version(containerd: { version: string; revision: string } | undefined): Record<string, unknown> {
  const facts = readSystemFacts();
  const details = {
    ApiVersion: MAX_API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: facts.goArch,
    KernelVersion: facts.kernelVersion,
    BuildTime: '',
    Experimental: 'false',
  };
  return {
    Platform: { Name: 'tsd' },
    Components: [
      { Name: 'Engine', Version: TSD_VERSION, Details: details },
      ...(containerd ? [{ Name: 'containerd', Version: containerd.version, Details: { GitCommit: containerd.revision } }] : []),
    ],
    Version: TSD_VERSION,
    ApiVersion: MAX_API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: details.GoVersion,
    Os: 'linux',
    Arch: facts.goArch,
    KernelVersion: facts.kernelVersion,
    BuildTime: '',
  };
}

/** Counts from containerd and the container module; an unreachable containerd becomes a warning. */
async function counts(context: EngineContext): Promise<{ images: number; containers: { total: number; running: number; paused: number; stopped: number }; warnings: string[] }> {
  const warnings: string[] = [];
  let images = 0;
  try {
    images = (await context.images.list()).length;
  } catch {
    // The full gRPC detail is in the daemon's log of the failing call; users need the fact.
    warnings.push(`WARNING: containerd at ${context.config.containerdAddress} is not reachable; the image count is unknown`);
  }
  const containers = (await context.containers?.counts()) ?? { total: 0, running: 0, paused: 0, stopped: 0 };
  return { images, containers, warnings };
}

async function info(context: EngineContext): Promise<Record<string, unknown>> {
  const facts = readSystemFacts();
  const options = context.config;
  const { images, containers, warnings } = await counts(context);
  return {
    ID: context.engineId,
    Containers: containers.total,
    ContainersRunning: containers.running,
    ContainersPaused: containers.paused,
    ContainersStopped: containers.stopped,
    Images: images,
    // Images live in containerd's snapshotter, as with Docker's containerd image store.
    Driver: 'overlayfs',
    DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: true,
    SwapLimit: facts.cgroupVersion === '2',
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    Debug: options.debug,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: options.logDriver,
    CgroupDriver: 'cgroupfs',
    CgroupVersion: facts.cgroupVersion,
    NEventsListener: context.events.listeners,
    KernelVersion: facts.kernelVersion,
    OperatingSystem: facts.operatingSystem,
    OSVersion: facts.osVersion,
    OSType: 'linux',
    Architecture: facts.machine,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      InsecureRegistryCIDRs: ['127.0.0.0/8'],
      IndexConfigs: {
        'docker.io': { Name: 'docker.io', Mirrors: options.registryMirrors, Secure: true, Official: true },
        ...Object.fromEntries(
          options.insecureRegistries.map((name) => [name, { Name: name, Mirrors: [], Secure: false, Official: false }]),
        ),
      },
      Mirrors: options.registryMirrors,
    },
    NCPU: facts.ncpu,
    MemTotal: facts.memTotal,
    GenericResources: null,
    DockerRootDir: options.dataRoot,
    HttpProxy: process.env.HTTP_PROXY ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? '',
    NoProxy: process.env.NO_PROXY ?? '',
    Name: facts.hostname,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: TSD_VERSION,
    Runtimes: { runc: { path: 'tsd-runc' } },
    DefaultRuntime: 'runc',
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: options.liveRestore,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: facts.cgroupVersion === '2' ? ['name=seccomp,profile=builtin', 'name=cgroupns'] : ['name=seccomp,profile=builtin'],
    Warnings: warnings,
  };
}
