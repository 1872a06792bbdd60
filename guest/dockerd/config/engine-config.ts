/**
 * The engine's resolved configuration: what flags and daemon.json say, after defaults. Keys follow
 * dockerd's daemon.json names (see daemon-json.ts for the mapping and flags.ts for the flags).
 */
export interface AddressPool {
  base: string;
  size: number;
}

export interface EngineConfig {
  /** Unix sockets to listen on (`-H unix:///path`, `--socket`); the first is the main one. */
  hosts: string[];
  /** DockerRootDir: engine state (engine id, container metadata, volumes). */
  dataRoot: string;
  /** Runtime state (sockets, pid files, fifos), cleared at boot in a VM. */
  execRoot: string;
  /** containerd's gRPC socket. */
  containerdAddress: string;
  /** containerd namespace for everything this engine creates. */
  containerdNamespace: string;
  registryMirrors: string[];
  insecureRegistries: string[];
  /**
   * tsd extension: whether docker.io falls back to Docker Hub after its mirrors (default true, as
   * dockerd). Tests and air-gapped machines set it false so that nothing leaves for the internet.
   */
  dockerHubOrigin: boolean;
  /**
   * Keep containers running while dockerd is down (daemon.json `live-restore`). Off (dockerd's
   * default): a SIGTERM of dockerd stops the running containers, and containers found running at
   * start (after a crash) are stopped, then their restart policies apply.
   */
  liveRestore: boolean;
  /** Default log driver of new containers (`log-driver`): json-file or none. */
  logDriver: string;
  /** Default options of that driver (`log-opts`), added to a new container's where it sets none. */
  logOpts: Record<string, string>;
  /** Name of the default bridge's Linux interface (docker0 in Docker). */
  bridge: string;
  /** The default bridge's address and prefix (`172.17.0.1/16`); empty = pick from the pools. */
  bip: string;
  defaultAddressPools: AddressPool[];
  dns: string[];
  logLevel: LogLevel;
  debug: boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

export const DEFAULT_CONFIG: EngineConfig = {
  hosts: ['unix:///run/docker.sock'],
  dataRoot: '/var/lib/docker',
  execRoot: '/run/docker',
  containerdAddress: '/run/containerd/containerd.sock',
  containerdNamespace: 'moby',
  registryMirrors: [],
  insecureRegistries: [],
  dockerHubOrigin: true,
  liveRestore: false,
  logDriver: 'json-file',
  logOpts: {},
  bridge: 'docker0',
  bip: '',
  defaultAddressPools: [
    { base: '172.17.0.0/16', size: 16 },
    { base: '172.18.0.0/16', size: 16 },
    { base: '172.19.0.0/16', size: 16 },
    { base: '172.20.0.0/14', size: 16 },
    { base: '172.24.0.0/14', size: 16 },
    { base: '172.28.0.0/14', size: 16 },
    { base: '192.168.0.0/16', size: 20 },
  ],
  dns: [],
  logLevel: 'info',
  debug: false,
};

/** The path of a `unix://` host (the only kind this engine serves). */
export function socketPathOf(host: string): string {
  return host.startsWith('unix://') ? host.slice('unix://'.length) : host;
}
