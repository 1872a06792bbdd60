/**
 * System endpoints: /_ping, /version, /info. Everything reported is read from the running system;
 * counts of containers and images are zero because this engine has no store yet.
 */
import type { ServerResponse } from 'node:http';
import { MAX_API_VERSION, MIN_API_VERSION } from '../api-version.js';
import type { EngineOptions } from '../engine-options.js';
import { TSD_VERSION } from '../engine-options.js';
import { sendJson } from '../error-table.js';
import type { ApiRequest, Router } from '../router.js';
import { readSystemFacts } from '../system-facts.js';

export interface SystemContext {
  options: EngineOptions;
  engineId: string;
  startedAt: Date;
}

/** The builder the engine offers: "1" is the classic builder (no BuildKit session endpoint). */
const BUILDER_VERSION = '1';

export function addSystemRoutes(router: Router, context: SystemContext): void {
  router.add('GET', '/_ping', (req, res) => ping(req, res));
  router.add('HEAD', '/_ping', (req, res) => ping(req, res));
  router.add('GET', '/version', (_req, res) => sendJson(res, 200, version()));
  router.add('GET', '/info', (_req, res) => sendJson(res, 200, info(context)));
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

function version(): Record<string, unknown> {
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
    Components: [{ Name: 'Engine', Version: TSD_VERSION, Details: details }],
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

function info(context: SystemContext): Record<string, unknown> {
  const facts = readSystemFacts();
  const { options } = context;
  return {
    ID: context.engineId,
    Containers: 0,
    ContainersRunning: 0,
    ContainersPaused: 0,
    ContainersStopped: 0,
    Images: 0,
    Driver: 'overlay2',
    DriverStatus: [],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: true,
    SwapLimit: facts.cgroupVersion === '2',
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: facts.cgroupVersion,
    NEventsListener: 0,
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
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: facts.cgroupVersion === '2' ? ['name=seccomp,profile=builtin', 'name=cgroupns'] : ['name=seccomp,profile=builtin'],
    Warnings: [],
  };
}
