/**
 * config.json validation: every problem names the JSON path of the bad field
 * ("config.json: process.args[0]: must be a string"). Only what the runtime relies on is checked,
 * so configs written for newer spec versions still load.
 */
import { TsdError } from '../../api/errors.js';
import type { LinuxNamespaceType, Spec } from '../../api/oci-runtime-spec.js';
import { CAPABILITIES, RLIMITS } from '../plan/linux-constants.js';

type Json = unknown;
const NAMESPACES: readonly LinuxNamespaceType[] = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];
const HOOK_NAMES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

class Checker {
  readonly problems: string[] = [];
  bad(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }
  object(value: Json, path: string, required = false): value is Record<string, Json> {
    if (value === undefined && !required) return false;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return true;
    this.bad(path, value === undefined ? 'is required' : 'must be an object');
    return false;
  }
  array(value: Json, path: string, required = false): value is Json[] {
    if (value === undefined && !required) return false;
    if (Array.isArray(value)) return true;
    this.bad(path, value === undefined ? 'is required' : 'must be an array');
    return false;
  }
  string(value: Json, path: string, required = false): value is string {
    if (value === undefined && !required) return false;
    if (typeof value === 'string') return true;
    this.bad(path, value === undefined ? 'is required' : 'must be a string');
    return false;
  }
  integer(value: Json, path: string, required = false): value is number {
    if (value === undefined && !required) return false;
    if (typeof value === 'number' && Number.isInteger(value)) return true;
    this.bad(path, value === undefined ? 'is required' : 'must be an integer');
    return false;
  }
  boolean(value: Json, path: string): void {
    if (value !== undefined && typeof value !== 'boolean') this.bad(path, 'must be a boolean');
  }
  strings(value: Json, path: string, required = false): value is string[] {
    if (!this.array(value, path, required)) return false;
    value.forEach((item, i) => this.string(item, `${path}[${i}]`, true));
    return true;
  }
  absolute(value: Json, path: string, required = false): void {
    if (this.string(value, path, required) && !value.startsWith('/')) this.bad(path, `must be an absolute path, got ${JSON.stringify(value)}`);
  }
}

/** Checks a parsed config.json; `needProcess` is false for callers that only read it (e.g. state). */
export function validateSpec(value: Json, needProcess = true): Spec {
  const c = new Checker();
  if (c.object(value, '(root)', true)) {
    c.string(value.ociVersion, 'ociVersion', true);
    if (c.object(value.root, 'root', true)) {
      c.string(value.root.path, 'root.path', true);
      c.boolean(value.root.readonly, 'root.readonly');
    }
    checkProcess(c, value.process, needProcess);
    c.string(value.hostname, 'hostname');
    c.string(value.domainname, 'domainname');
    if (c.array(value.mounts, 'mounts')) {
      value.mounts.forEach((m, i) => {
        if (!c.object(m, `mounts[${i}]`, true)) return;
        c.absolute(m.destination, `mounts[${i}].destination`, true);
        c.string(m.type, `mounts[${i}].type`);
        c.string(m.source, `mounts[${i}].source`);
        c.strings(m.options, `mounts[${i}].options`);
      });
    }
    if (c.object(value.hooks, 'hooks')) {
      const hooks = value.hooks;
      for (const name of HOOK_NAMES) {
        if (!c.array(hooks[name], `hooks.${name}`)) continue;
        (hooks[name] as Json[]).forEach((h, i) => {
          const path = `hooks.${name}[${i}]`;
          if (!c.object(h, path, true)) return;
          c.absolute(h.path, `${path}.path`, true);
          c.strings(h.args, `${path}.args`);
          c.strings(h.env, `${path}.env`);
          if (c.integer(h.timeout, `${path}.timeout`) && h.timeout <= 0) c.bad(`${path}.timeout`, 'must be greater than zero');
        });
      }
    }
    if (c.object(value.annotations, 'annotations')) {
      for (const [k, v] of Object.entries(value.annotations)) c.string(v, `annotations.${k}`, true);
    }
    checkLinux(c, value.linux);
  }
  if (c.problems.length > 0) throw new TsdError('invalid-argument', `config.json: ${c.problems.join('; ')}`);
  return value as unknown as Spec;
}

function checkProcess(c: Checker, process: Json, required: boolean): void {
  if (!c.object(process, 'process', required)) return;
  c.boolean(process.terminal, 'process.terminal');
  if (c.object(process.consoleSize, 'process.consoleSize')) {
    c.integer(process.consoleSize.height, 'process.consoleSize.height', true);
    c.integer(process.consoleSize.width, 'process.consoleSize.width', true);
  }
  if (c.strings(process.args, 'process.args', required) && process.args.length === 0 && required) c.bad('process.args', 'must not be empty');
  c.strings(process.env, 'process.env');
  c.absolute(process.cwd, 'process.cwd', true);
  if (c.object(process.user, 'process.user', true)) {
    c.integer(process.user.uid, 'process.user.uid', true);
    c.integer(process.user.gid, 'process.user.gid', true);
    c.integer(process.user.umask, 'process.user.umask');
    if (c.array(process.user.additionalGids, 'process.user.additionalGids')) {
      process.user.additionalGids.forEach((g, i) => c.integer(g, `process.user.additionalGids[${i}]`, true));
    }
  }
  if (c.object(process.capabilities, 'process.capabilities')) {
    for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']) {
      const list = process.capabilities[set];
      if (!c.strings(list, `process.capabilities.${set}`)) continue;
      list.forEach((name, i) => {
        if (!CAPABILITIES.includes(name)) c.bad(`process.capabilities.${set}[${i}]`, `unknown capability ${JSON.stringify(name)}`);
      });
    }
  }
  if (c.array(process.rlimits, 'process.rlimits')) {
    process.rlimits.forEach((r, i) => {
      if (!c.object(r, `process.rlimits[${i}]`, true)) return;
      if (c.string(r.type, `process.rlimits[${i}].type`, true) && RLIMITS[r.type] === undefined) {
        c.bad(`process.rlimits[${i}].type`, `unknown rlimit ${JSON.stringify(r.type)}`);
      }
      c.integer(r.soft, `process.rlimits[${i}].soft`, true);
      c.integer(r.hard, `process.rlimits[${i}].hard`, true);
    });
  }
  c.boolean(process.noNewPrivileges, 'process.noNewPrivileges');
  c.integer(process.oomScoreAdj, 'process.oomScoreAdj');
  c.string(process.apparmorProfile, 'process.apparmorProfile');
  c.string(process.selinuxLabel, 'process.selinuxLabel');
}

function checkLinux(c: Checker, linux: Json): void {
  if (!c.object(linux, 'linux')) {
    c.bad('linux.namespaces', 'a new mount namespace is required');
    return;
  }
  const seen = new Set<string>();
  if (c.array(linux.namespaces, 'linux.namespaces')) {
    linux.namespaces.forEach((ns, i) => {
      if (!c.object(ns, `linux.namespaces[${i}]`, true)) return;
      if (c.string(ns.type, `linux.namespaces[${i}].type`, true)) {
        if (!NAMESPACES.includes(ns.type as LinuxNamespaceType)) c.bad(`linux.namespaces[${i}].type`, `unknown namespace type ${JSON.stringify(ns.type)}`);
        else if (seen.has(ns.type)) c.bad(`linux.namespaces[${i}].type`, `duplicate namespace ${JSON.stringify(ns.type)}`);
        seen.add(ns.type);
      }
      c.absolute(ns.path, `linux.namespaces[${i}].path`);
    });
  }
  const createsMount = (linux.namespaces as Json[] | undefined)?.some(
    (ns) => typeof ns === 'object' && ns !== null && (ns as Record<string, Json>).type === 'mount' && (ns as Record<string, Json>).path === undefined,
  );
  if (!createsMount) c.bad('linux.namespaces', 'a new mount namespace is required');
  for (const key of ['uidMappings', 'gidMappings'] as const) {
    if (!c.array(linux[key], `linux.${key}`)) continue;
    (linux[key] as Json[]).forEach((m, i) => {
      if (!c.object(m, `linux.${key}[${i}]`, true)) return;
      c.integer(m.containerID, `linux.${key}[${i}].containerID`, true);
      c.integer(m.hostID, `linux.${key}[${i}].hostID`, true);
      if (c.integer(m.size, `linux.${key}[${i}].size`, true) && m.size <= 0) c.bad(`linux.${key}[${i}].size`, 'must be positive');
    });
  }
  if (seen.has('user') && !(Array.isArray(linux.uidMappings) && linux.uidMappings.length > 0)) {
    c.bad('linux.uidMappings', 'a user namespace needs uid and gid mappings');
  }
  if (c.object(linux.sysctl, 'linux.sysctl')) {
    for (const [k, v] of Object.entries(linux.sysctl)) {
      c.string(v, `linux.sysctl.${k}`, true);
      if (k.includes('/') || k.includes('..')) c.bad(`linux.sysctl.${k}`, 'invalid sysctl name');
    }
  }
  c.string(linux.cgroupsPath, 'linux.cgroupsPath');
  c.strings(linux.maskedPaths, 'linux.maskedPaths');
  c.strings(linux.readonlyPaths, 'linux.readonlyPaths');
  c.object(linux.resources, 'linux.resources');
  c.object(linux.seccomp, 'linux.seccomp');
  if (c.array(linux.devices, 'linux.devices')) {
    linux.devices.forEach((d, i) => {
      if (!c.object(d, `linux.devices[${i}]`, true)) return;
      c.absolute(d.path, `linux.devices[${i}].path`, true);
      if (!['c', 'b', 'u', 'p'].includes(d.type as string)) c.bad(`linux.devices[${i}].type`, 'must be one of c, b, u, p');
    });
  }
  const propagation = linux.rootfsPropagation;
  const allowed = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'];
  if (propagation !== undefined && !allowed.includes(propagation as string)) c.bad('linux.rootfsPropagation', `must be one of ${allowed.join(', ')}`);
}
