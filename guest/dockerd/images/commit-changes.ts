/**
 * `docker commit --change`: the Dockerfile instructions dockerd accepts there (its
 * validCommitCommands: CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL,
 * USER, VOLUME, WORKDIR) applied in order to a container config, then the container's own config
 * merged in as defaults (dockerd's `merge`). Any other instruction is "<keyword> is not a valid
 * change command" (keyword lowercased, as the Dockerfile parser reports it); all errors are 400s.
 */
import { constants } from 'node:os';
import { posix } from 'node:path';
import { TsdError } from '../../api/errors.js';
import type { ImageRuntimeConfig } from '../../api/oci-image-spec.js';
import { changeLines, envLookup, jsonArray, nameValuePairs, shellWords } from './change-words.js';

type Health = { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };

/** The fields of a container's Config that commit reads and writes (the rest passes through): the
 * image config's runtime part, with Docker's StartInterval in the healthcheck. */
export interface CommitConfig extends Omit<ImageRuntimeConfig, 'Healthcheck'> {
  Healthcheck?: Health;
}

const VALID = new Set(['cmd', 'entrypoint', 'healthcheck', 'env', 'expose', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir']);

const invalid = (message: string): TsdError => new TsdError('invalid-argument', message);

/** CMD/ENTRYPOINT/HEALTHCHECK CMD: the exec form as is, the shell form behind the config's shell. */
function commandLine(rest: string, shell: string[] | undefined): string[] {
  return jsonArray(rest) ?? [...(shell?.length ? shell : ['/bin/sh', '-c']), rest];
}

/** A Go duration (`30s`, `1m30s`, `1.5h`, `0`) in nanoseconds. */
export function goDuration(text: string): number {
  if (text === '0') return 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.replace(/^[-+]/, '');
  if (!/^(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+$/.test(body)) throw invalid(`time: invalid duration "${text}"`);
  let total = 0;
  for (const [, number, , unit] of body.matchAll(/(\d+(\.\d*)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(number) * units[unit!]!;
  return sign * Math.round(total);
}

function healthcheck(rest: string): Health {
  const flags = new Map<string, string>();
  let remaining = rest.trim();
  for (let flag = /^--([a-z-]+)=(\S*)\s*/.exec(remaining); flag; flag = /^--([a-z-]+)=(\S*)\s*/.exec(remaining)) {
    if (!['interval', 'timeout', 'start-period', 'start-interval', 'retries'].includes(flag[1]!)) throw invalid(`Unknown flag: ${flag[1]}`);
    flags.set(flag[1]!, flag[2]!);
    remaining = remaining.slice(flag[0].length);
  }
  const [kind = '', ...args] = remaining.split(/\s+/);
  if (kind.toUpperCase() === 'NONE') {
    if (args.length > 0) throw invalid('HEALTHCHECK NONE takes no arguments');
    if (flags.size > 0) throw invalid('options cannot be specified with HEALTHCHECK NONE');
    return { Test: ['NONE'] };
  }
  if (kind.toUpperCase() !== 'CMD') throw invalid(`Unknown type "${kind.toUpperCase()}" in HEALTHCHECK (try CMD)`);
  const command = remaining.slice(kind.length).trim();
  if (!command) throw invalid('Missing command after HEALTHCHECK CMD');
  const exec = jsonArray(command);
  const health: Health = { Test: exec ? ['CMD', ...exec] : ['CMD-SHELL', command] };
  const interval = (name: string, field: 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval'): void => {
    const value = flags.get(name);
    if (value === undefined) return;
    const nanos = goDuration(value);
    if (nanos < 0) throw invalid(`Interval "${name}" cannot be negative`);
    if (nanos !== 0 && nanos < 1e6) throw invalid(`Interval "${name}" cannot be less than 1ms`);
    health[field] = nanos;
  };
  interval('interval', 'Interval');
  interval('timeout', 'Timeout');
  interval('start-period', 'StartPeriod');
  interval('start-interval', 'StartInterval');
  const retries = flags.get('retries');
  if (retries !== undefined) {
    if (!/^-?\d+$/.test(retries)) throw invalid(`strconv.ParseInt: parsing "${retries}": invalid syntax`);
    if (Number(retries) < 0) throw invalid('--retries cannot be negative');
    health.Retries = Number(retries);
  }
  return health;
}

/** EXPOSE's port specs (`80`, `80/udp`, `8000-8002/tcp`) as ExposedPorts keys. */
function exposedPorts(specs: string[]): string[] {
  return specs.flatMap((spec) => {
    const [range = '', proto = 'tcp'] = spec.split('/');
    if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw invalid(`invalid proto: ${proto}`);
    const match = /^(\d+)(?:-(\d+))?$/.exec(range.includes(':') ? range.slice(range.lastIndexOf(':') + 1) : range);
    const start = Number(match?.[1]);
    const end = match?.[2] === undefined ? start : Number(match[2]);
    if (!match || start < 1 || end > 65535 || end < start) throw invalid(`invalid containerPort: ${range}`);
    return Array.from({ length: end - start + 1 }, (_, i) => `${start + i}/${proto.toLowerCase()}`);
  });
}

function validSignal(value: string): string {
  const number = /^\d+$/.test(value) ? Number(value) : undefined;
  const known = number !== undefined ? number > 0 : `SIG${value.toUpperCase().replace(/^SIG/, '')}` in constants.signals;
  if (!known) throw invalid(`invalid signal: ${value}`);
  return value;
}

/** Applies the `--change` lines to `config` (a copy is returned; `config` is left alone). */
export function applyCommitChanges<T extends CommitConfig>(config: T, changes: readonly string[]): T {
  const next: T = structuredClone(config);
  let cmdSet = false;
  for (const { keyword, rest } of changeLines(changes)) {
    const instruction = keyword.toLowerCase();
    if (!VALID.has(instruction)) throw invalid(`${instruction} is not a valid change command`);
    const lookup = envLookup(next.Env);
    const words = (): string[] => shellWords(rest, lookup);
    switch (instruction) {
      case 'cmd':
        next.Cmd = commandLine(rest, next.Shell);
        next.ArgsEscaped = false;
        if (rest.trim() !== '') cmdSet = true;
        break;
      case 'entrypoint':
        next.Entrypoint = commandLine(rest, next.Shell);
        next.ArgsEscaped = false;
        if (!cmdSet) next.Cmd = null;
        break;
      case 'env': {
        const env = [...(next.Env ?? [])];
        for (const [name, value] of nameValuePairs('ENV', rest, lookup)) {
          const at = env.findIndex((entry) => entry.split('=')[0] === name);
          if (at >= 0) env[at] = `${name}=${value}`;
          else env.push(`${name}=${value}`);
        }
        next.Env = env;
        break;
      }
      case 'label':
        next.Labels = { ...(next.Labels ?? {}), ...Object.fromEntries(nameValuePairs('LABEL', rest, lookup)) };
        break;
      case 'expose': {
        const ports = words();
        if (ports.length === 0) throw invalid('EXPOSE requires at least one argument');
        next.ExposedPorts = { ...(next.ExposedPorts ?? {}), ...Object.fromEntries(exposedPorts(ports).map((port) => [port, {}])) };
        break;
      }
      case 'volume': {
        const volumes = jsonArray(rest) ?? words();
        if (volumes.length === 0) throw invalid('VOLUME requires at least one argument');
        if (volumes.some((volume) => volume.trim() === '')) throw invalid('VOLUME specified can not be an empty string');
        next.Volumes = { ...(next.Volumes ?? {}), ...Object.fromEntries(volumes.map((volume) => [volume, {}])) };
        break;
      }
      case 'workdir': {
        const dir = words().join(' ');
        if (!dir) throw invalid('cannot normalize nothing');
        // Go's filepath.Clean: no trailing slash but on the root.
        next.WorkingDir = posix.join('/', dir.startsWith('/') ? '' : (next.WorkingDir ?? ''), dir).replace(/(.)\/+$/, '$1');
        break;
      }
      case 'user': {
        const user = words().join(' ');
        if (!user) throw invalid('USER requires exactly one argument');
        next.User = user;
        break;
      }
      case 'stopsignal': {
        const [signal, ...extra] = words();
        if (signal === undefined || extra.length > 0) throw invalid('STOPSIGNAL requires exactly one argument');
        next.StopSignal = validSignal(signal);
        break;
      }
      case 'onbuild': {
        const trigger = /^(\S+)/.exec(rest.trim())?.[1]?.toUpperCase();
        if (!trigger) throw invalid('ONBUILD requires at least one argument');
        if (trigger === 'ONBUILD') throw invalid("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (trigger === 'FROM' || trigger === 'MAINTAINER') throw invalid(`${trigger} isn't allowed as an ONBUILD trigger`);
        next.OnBuild = [...(next.OnBuild ?? []), rest.trim()];
        break;
      }
      case 'healthcheck':
        next.Healthcheck = healthcheck(rest);
        break;
    }
  }
  return next;
}

/** dockerd's `merge`: what the commit's config leaves unset comes from the container's config. */
export function mergeCommitConfig<T extends CommitConfig>(user: T, container: CommitConfig): T {
  const merged: T = structuredClone(user);
  if (!merged.User) merged.User = container.User;
  if (!merged.ExposedPorts || Object.keys(merged.ExposedPorts).length === 0) merged.ExposedPorts = container.ExposedPorts;
  else merged.ExposedPorts = { ...(container.ExposedPorts ?? {}), ...merged.ExposedPorts };
  if (!merged.Env || merged.Env.length === 0) merged.Env = container.Env;
  else {
    const keys = new Set(merged.Env.map((entry) => entry.split('=')[0]));
    merged.Env = [...merged.Env, ...(container.Env ?? []).filter((entry) => !keys.has(entry.split('=')[0]))];
  }
  merged.Labels = { ...(container.Labels ?? {}), ...(merged.Labels ?? {}) };
  if (!merged.Entrypoint || merged.Entrypoint.length === 0) {
    if (!merged.Cmd || merged.Cmd.length === 0) merged.Cmd = container.Cmd;
    if (merged.Entrypoint === undefined || merged.Entrypoint === null) merged.Entrypoint = container.Entrypoint;
  }
  if (container.Healthcheck) {
    if (!merged.Healthcheck) merged.Healthcheck = container.Healthcheck;
    else {
      const health = { ...merged.Healthcheck };
      if (!health.Test || health.Test.length === 0) health.Test = container.Healthcheck.Test;
      for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) if (!health[key]) health[key] = container.Healthcheck[key];
      merged.Healthcheck = health;
    }
  }
  if (!merged.WorkingDir) merged.WorkingDir = container.WorkingDir;
  if (!merged.Volumes || Object.keys(merged.Volumes).length === 0) merged.Volumes = container.Volumes;
  else merged.Volumes = { ...merged.Volumes, ...(container.Volumes ?? {}) };
  if (!merged.StopSignal) merged.StopSignal = container.StopSignal;
  return merged;
}

/** The image config's `config` from a container config: only the fields an image keeps. */
export function imageRuntimeConfig(config: CommitConfig): CommitConfig {
  const { User, ExposedPorts, Env, Entrypoint, Cmd, Volumes, WorkingDir, Labels, StopSignal, ArgsEscaped, Healthcheck, OnBuild, Shell } = config;
  const out: CommitConfig = { User: User ?? '', Env, Entrypoint, Cmd, Volumes, WorkingDir: WorkingDir ?? '', Labels, StopSignal, ArgsEscaped, Healthcheck, OnBuild, Shell };
  if (ExposedPorts && Object.keys(ExposedPorts).length > 0) out.ExposedPorts = ExposedPorts;
  for (const key of Object.keys(out) as Array<keyof CommitConfig>) if (out[key] === undefined || (key === 'ArgsEscaped' && !out[key])) delete out[key];
  return out;
}
