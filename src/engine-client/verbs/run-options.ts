/**
 * `tsd run` flags → the Engine API's container create body (pure), with docker's rules: -i keeps
 * stdin open, -t allocates a tty, attached runs attach stdout/stderr, --rm is AutoRemove and
 * conflicts with --restart, sizes like "512m", --cpus as nano-CPUs.
 */
import { resolve } from 'node:path';
import { TsdError } from '../../../guest/api/errors.js';
import type { ContainerCreateBody } from '../engine-types.js';
import { parsePortSpecs } from './port-specs.js';

export interface RunFlags {
  detach: boolean;
  interactive: boolean;
  tty: boolean;
  rm: boolean;
  name?: string;
  publish: string[];
  publishAll: boolean;
  env: string[];
  /** Lines of the --env-file files, already read. */
  envFileLines: string[];
  volume: string[];
  workdir?: string;
  user?: string;
  network?: string;
  restart?: string;
  memory?: string;
  cpus?: string;
  pidsLimit?: number;
  entrypoint?: string;
  label: string[];
  hostname?: string;
  init: boolean;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  readOnly: boolean;
  addHost: string[];
  dns: string[];
  stopSignal?: string;
  stopTimeout?: number;
}

export interface RunPlan {
  body: ContainerCreateBody;
  /** Host paths of bind mounts (absolute), for the machine's sharing check. */
  bindSources: string[];
}

export function buildCreateBody(image: string, command: string[], flags: RunFlags, env: NodeJS.ProcessEnv, cwd: string): RunPlan {
  if (flags.rm && flags.restart !== undefined && flags.restart !== 'no') {
    throw new TsdError('invalid-argument', 'conflicting options: cannot specify both --restart and --rm');
  }
  const attached = !flags.detach;
  const ports = parsePortSpecs(flags.publish);
  const { binds, anonymous, bindSources } = parseVolumes(flags.volume, cwd);
  const body: ContainerCreateBody = {
    Image: image,
    Tty: flags.tty,
    OpenStdin: flags.interactive,
    StdinOnce: flags.interactive && attached,
    AttachStdin: flags.interactive && attached,
    AttachStdout: attached,
    AttachStderr: attached,
    HostConfig: { AutoRemove: flags.rm },
  };
  if (command.length > 0) body.Cmd = command;
  if (flags.entrypoint !== undefined) body.Entrypoint = [flags.entrypoint];
  const envList = [...parseEnvFile(flags.envFileLines, env), ...flags.env.flatMap((entry) => envEntry(entry, env))];
  if (envList.length > 0) body.Env = envList;
  if (flags.workdir !== undefined) body.WorkingDir = flags.workdir;
  if (flags.user !== undefined) body.User = flags.user;
  if (flags.hostname !== undefined) body.Hostname = flags.hostname;
  if (flags.label.length > 0) body.Labels = Object.fromEntries(flags.label.map(splitLabel));
  if (Object.keys(ports.exposed).length > 0) body.ExposedPorts = ports.exposed;
  if (anonymous.length > 0) body.Volumes = Object.fromEntries(anonymous.map((path) => [path, {}]));
  if (flags.stopSignal !== undefined) body.StopSignal = flags.stopSignal;
  if (flags.stopTimeout !== undefined) body.StopTimeout = flags.stopTimeout;
  const host = body.HostConfig;
  if (binds.length > 0) host.Binds = binds;
  if (Object.keys(ports.bindings).length > 0) host.PortBindings = ports.bindings;
  if (flags.publishAll) host.PublishAllPorts = true;
  if (flags.network !== undefined) host.NetworkMode = flags.network;
  if (flags.restart !== undefined) host.RestartPolicy = parseRestart(flags.restart);
  if (flags.memory !== undefined) host.Memory = parseBytes(flags.memory, '--memory');
  if (flags.cpus !== undefined) host.NanoCpus = parseCpus(flags.cpus);
  if (flags.pidsLimit !== undefined) host.PidsLimit = flags.pidsLimit;
  if (flags.init) host.Init = true;
  if (flags.privileged) host.Privileged = true;
  if (flags.capAdd.length > 0) host.CapAdd = flags.capAdd;
  if (flags.capDrop.length > 0) host.CapDrop = flags.capDrop;
  if (flags.readOnly) host.ReadonlyRootfs = true;
  if (flags.addHost.length > 0) host.ExtraHosts = flags.addHost;
  if (flags.dns.length > 0) host.Dns = flags.dns;
  return { body, bindSources };
}

/** `-e KEY=value` as given; `-e KEY` takes KEY from the caller's environment, or nothing. */
function envEntry(entry: string, env: NodeJS.ProcessEnv): string[] {
  if (entry.includes('=')) return [entry];
  if (entry === '') throw new TsdError('invalid-argument', 'invalid environment variable: empty name');
  const value = env[entry];
  return value === undefined ? [] : [`${entry}=${value}`];
}

/** Docker's env file: KEY=value lines, `#` comments, blank lines; a bare KEY comes from the environment. */
export function parseEnvFile(lines: string[], env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const raw of lines) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const name = line.split('=')[0]!;
    if (/\s/.test(name)) throw new TsdError('invalid-argument', `invalid variable name "${name}" in env file: it contains whitespace`);
    out.push(...envEntry(line, env));
  }
  return out;
}

function splitLabel(label: string): [string, string] {
  const at = label.indexOf('=');
  return at === -1 ? [label, ''] : [label.slice(0, at), label.slice(at + 1)];
}

/** `-v SRC:DST[:OPTS]`: host paths (absolute or ./relative) are binds, names are volumes, `-v DST` anonymous. */
function parseVolumes(specs: string[], cwd: string): { binds: string[]; anonymous: string[]; bindSources: string[] } {
  const binds: string[] = [];
  const anonymous: string[] = [];
  const bindSources: string[] = [];
  for (const spec of specs) {
    const parts = spec.split(':');
    if (parts.length === 1) {
      if (!spec.startsWith('/')) throw new TsdError('invalid-argument', `invalid volume "${spec}": the container path must be absolute`);
      anonymous.push(spec);
      continue;
    }
    if (parts.length > 3 || parts.some((part) => part === '')) {
      throw new TsdError('invalid-argument', `invalid volume specification "${spec}": use SOURCE:DESTINATION[:OPTIONS]`);
    }
    let [source, target] = parts as [string, string];
    if (!target.startsWith('/')) throw new TsdError('invalid-argument', `invalid volume "${spec}": the container path "${target}" must be absolute`);
    if (source.startsWith('/') || source.startsWith('.') || source.startsWith('~')) {
      source = source.startsWith('~') ? source : resolve(cwd, source);
      if (source.startsWith('~')) throw new TsdError('invalid-argument', `invalid volume "${spec}": "~" is not expanded; use an absolute path`);
      bindSources.push(source);
    }
    binds.push([source, ...parts.slice(1)].join(':'));
  }
  return { binds, anonymous, bindSources };
}

export function parseRestart(policy: string): { Name: string; MaximumRetryCount?: number } {
  const [name = '', count] = policy.split(':');
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) {
    throw new TsdError('invalid-argument', `invalid restart policy "${policy}": use no, always, unless-stopped or on-failure[:max-retries]`);
  }
  if (count === undefined) return { Name: name };
  if (name !== 'on-failure' || !/^\d+$/.test(count)) {
    throw new TsdError('invalid-argument', `invalid restart policy "${policy}": only on-failure takes a retry count`);
  }
  return { Name: name, MaximumRetryCount: Number(count) };
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "512m", "1g", "1.5g", "1048576" → bytes (binary units, as docker). */
export function parseBytes(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(text.trim());
  if (!match) throw new TsdError('invalid-argument', `invalid size for ${flag}: "${text}" (use a number with b, k, m or g)`);
  return Math.round(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
}

export function parseCpus(text: string): number {
  const cpus = Number(text);
  if (!Number.isFinite(cpus) || cpus <= 0) throw new TsdError('invalid-argument', `invalid --cpus "${text}": use a positive number such as 1.5`);
  return Math.round(cpus * 1e9);
}
