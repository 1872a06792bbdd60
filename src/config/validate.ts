/**
 * Step 3 of load → defaults → validate: the values of a complete MachineConfig, for this host.
 * Works on configs from anywhere (a file, CLI flags, a saved machine.yaml); when they came
 * from a file, the source map puts each issue at its line.
 */
import type { MachineConfig } from './machine-config.js';
import { MIN_MEMORY_MIB } from './defaults.js';
import { PLATFORM_NAMES, type HostInfo, type HostPlatform } from './host.js';
import { ACCELS } from './machine-file.js';
import { formatSize } from './sizes.js';
import { keyPath, locate, type ConfigIssue, type SourceMap } from './source.js';
import { listOf } from './suggest.js';
import { validateMounts } from './validate-mounts.js';
import { validateDns, validateInsecureRegistries, validatePortForwards, validateRegistryMirrors } from './validate-network.js';

export const MAX_CPUS = 255;
export const MIN_DISK_GIB = 1;
export const MAX_DISK_GIB = 64 * 1024;

/** The only host platform each hardware accelerator exists on. */
const ACCEL_PLATFORM: Partial<Record<MachineConfig['accel'], HostPlatform>> = { hvf: 'darwin', whpx: 'win32', kvm: 'linux' };

type Issue = Omit<ConfigIssue, 'position'>;

export function validateMachineConfig(config: MachineConfig, host: HostInfo, sourceMap: SourceMap = new Map()): ConfigIssue[] {
  const issues: Issue[] = [
    ...validateAccel(config, host),
    ...validateResources(config, host),
    ...validateMounts(config.mounts, host),
    ...validatePortForwards(config.portForwards),
    ...validateRegistryMirrors(config.registryMirrors),
    ...validateInsecureRegistries(config.insecureRegistries),
    ...validateDns(config.dns),
    ...validateEnv(config.env),
    ...validateProvision(config.provision),
  ];
  return issues.map((issue) => ({ ...issue, position: locate(sourceMap, issue.path) }));
}

function validateAccel(config: MachineConfig, host: HostInfo): Issue[] {
  const needs = ACCEL_PLATFORM[config.accel];
  if (needs === undefined) return [];
  if (needs !== host.platform) {
    const here = ACCELS.filter((accel) => (ACCEL_PLATFORM[accel] ?? host.platform) === host.platform);
    return [{
      path: 'accel',
      message: `"${config.accel}" exists only on ${PLATFORM_NAMES[needs]}, and this host runs ${PLATFORM_NAMES[host.platform]}; valid here: ${listOf(here)}`,
    }];
  }
  if (config.arch !== host.arch) {
    return [{
      path: 'accel',
      message: `"${config.accel}" cannot run an ${config.arch} guest on this ${host.arch} host (hardware acceleration needs the host's own architecture); use accel: tcg or auto, or arch: ${host.arch}`,
    }];
  }
  return [];
}

function validateResources(config: MachineConfig, host: HostInfo): Issue[] {
  const issues: Issue[] = [];
  if (!Number.isInteger(config.cpus) || config.cpus < 1 || config.cpus > MAX_CPUS) {
    issues.push({ path: 'cpus', message: `expected a whole number from 1 to ${MAX_CPUS}, found ${config.cpus}` });
  }
  if (!Number.isInteger(config.memory) || config.memory < MIN_MEMORY_MIB) {
    const hint = config.memory >= 1 && config.memory <= 64 ? `; a bare number is MiB: for ${config.memory} GiB write "${config.memory}GiB"` : '';
    issues.push({ path: 'memory', message: `${config.memory} MiB is below the minimum of ${formatSize(MIN_MEMORY_MIB, 'MiB')}${hint}` });
  } else if (config.memory > host.memoryMiB) {
    issues.push({ path: 'memory', message: `${formatSize(config.memory, 'MiB')} is more than this host's memory (${formatSize(host.memoryMiB, 'MiB')})` });
  }
  if (!Number.isInteger(config.disk) || config.disk < MIN_DISK_GIB || config.disk > MAX_DISK_GIB) {
    issues.push({ path: 'disk', message: `expected a size from 1GiB to 64TiB, found ${config.disk} GiB` });
  }
  return issues;
}

/** POSIX shell names: what `export NAME=…` accepts in the guest. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function validateEnv(env: Record<string, string>): Issue[] {
  return Object.keys(env)
    .filter((name) => !ENV_NAME.test(name))
    .map((name) => ({
      path: keyPath('env', name),
      message: `${JSON.stringify(name)} is not a valid variable name; use letters, digits and "_", not starting with a digit`,
    }));
}

function validateProvision(provision: readonly string[]): Issue[] {
  return provision.flatMap((command, i) =>
    command.trim() === '' ? [{ path: `provision[${i}]`, message: 'empty command; remove the entry or write a shell command' }] : [],
  );
}
