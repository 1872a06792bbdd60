/**
 * The boot, step by step. Order matters: kernel filesystems → modules (devices and fw_cfg appear)
 * → the host's configuration → name, network → data disk → shared folders → env →
 * provision → services. Fatal steps are the ones nothing later could work without.
 */
import { TsdError } from '../api/errors.js';
import type { GuestConfig } from '../api/guest-config.js';
import { DATA_DISK_SERIAL, GUEST_DATA_MOUNT, GUEST_LOG_DIR } from '../api/guest-layout.js';
import { BASE_MOUNTS, mountAll } from './base-mounts.js';
import type { LogLine } from './console-log.js';
import { ensureExt4, mountExt4, waitForDisk } from './data-disk.js';
import { writeEnvironment } from './environment.js';
import { readGuestConfig } from './guest-config.js';
import { setHostname } from './hostname.js';
import { MODULE_GROUPS, loadModuleGroups } from './kernel-modules.js';
import { configureNetwork } from './network.js';
import { findPowerButtons, watchPowerButton } from './power-button.js';
import { runProvision } from './provision.js';
import { waitUntilReady } from './readiness.js';
import { engineSpecs, serviceReadiness, sshdSpec, writeDaemonJson, writeSshFiles } from './services.js';
import { mountShare } from './shares.js';
import type { Step } from './steps.js';
import { Supervisor } from './supervisor.js';
import { DEFAULT_PATH } from '../sshd/session-env.js';

export interface BootContext {
  log: LogLine;
  config?: GuestConfig;
  /** What the init mounted and must unmount at shutdown, in mount order. */
  mounted: string[];
  supervisor?: Supervisor;
  /** Called when the power button is pressed. */
  onPowerButton: () => void;
  /** The engine's kernel modules, loading in the background since load-kernel-modules. */
  engineModules?: Promise<void>;
}

function requireConfig(context: BootContext): GuestConfig {
  if (!context.config) throw new TsdError('internal', 'boot configuration not read');
  return context.config;
}

/** Node's compile cache for the services, on the data disk: boots after the first skip compiling the bundles. */
export const NODE_COMPILE_CACHE_DIR = `${GUEST_DATA_MOUNT}/tsd/node-compile-cache`;

/** The environment for provision commands and services: a root login's plus the machine's env. */
export function serviceEnv(config: GuestConfig): NodeJS.ProcessEnv {
  return { PATH: DEFAULT_PATH, HOME: '/root', USER: 'root', LOGNAME: 'root', SHELL: '/bin/sh', ...config.env };
}

function daemonEnv(config: GuestConfig): NodeJS.ProcessEnv {
  return { ...serviceEnv(config), NODE_COMPILE_CACHE: NODE_COMPILE_CACHE_DIR };
}

/**
 * The services start as soon as what they need is there, and Node's start-up in each (the
 * slowest part of the boot under tcg) overlaps the init's remaining steps: sshd right after the
 * config (keys, env), the engine after the data disk. The init does not set the clock: the kernel
 * took it from the RTC at boot (to the second), and the host agent sets it to the millisecond
 * through the SSH server as soon as SSH answers (src/agent/clock.ts). A set-clock step here cost
 * a koffi load (~1 s of a vCPU under tcg) while the engine was starting.
 */
export const BOOT_STEPS: Step<BootContext>[] = [
  { name: 'mount-kernel-filesystems', fatal: true, run: (c) => mountAll(BASE_MOUNTS, c.log) },
  {
    name: 'load-kernel-modules',
    fatal: false,
    run: async (c) => {
      const boot = loadModuleGroups(MODULE_GROUPS.filter((group) => group.boot), c.log);
      // The engine's modules follow in the background (under tcg, parallel modprobes only compete
      // for the same vCPUs); load-engine-modules reports their failure.
      c.engineModules = boot.catch(() => undefined).then(() => loadModuleGroups(MODULE_GROUPS.filter((group) => !group.boot), c.log));
      c.engineModules.catch(() => undefined);
      await boot;
    },
  },
  {
    name: 'read-config',
    fatal: true,
    run: async (c) => {
      c.config = await readGuestConfig();
      c.log(`machine ${c.config.machineName}: ${c.config.mounts.length} shares, ${c.config.provision.length} provision commands`);
    },
  },
  { name: 'set-hostname', fatal: false, run: (c) => setHostname(requireConfig(c).hostname) },
  { name: 'write-environment', fatal: false, run: (c) => writeEnvironment(requireConfig(c).env) },
  {
    name: 'start-sshd',
    fatal: true,
    run: async (c) => {
      const config = requireConfig(c);
      await writeSshFiles(config);
      c.supervisor = new Supervisor({ logDir: GUEST_LOG_DIR, log: c.log });
      c.supervisor.start(sshdSpec(serviceEnv(config)));
    },
  },
  { name: 'configure-network', fatal: false, run: () => configureNetwork() },
  {
    name: 'mount-data-disk',
    fatal: true,
    run: async (c) => {
      const device = await waitForDisk(DATA_DISK_SERIAL, 10_000);
      const found = await ensureExt4(device, DATA_DISK_SERIAL);
      await mountExt4(device, GUEST_DATA_MOUNT);
      c.mounted.push(GUEST_DATA_MOUNT);
      c.log(`data disk ${device} (${found}) on ${GUEST_DATA_MOUNT}`);
    },
  },
  {
    name: 'mount-shared-folders',
    fatal: false,
    run: async (c) => {
      const failures: string[] = [];
      for (const share of requireConfig(c).mounts) {
        try {
          await mountShare(share);
          c.mounted.push(share.guestPath);
          c.log(`shared ${share.hostPath} on ${share.guestPath} (${share.writable ? 'rw' : 'ro'})`);
        } catch (error) {
          failures.push(`${share.guestPath}: ${(error as Error).message}`);
        }
      }
      if (failures.length > 0) throw new TsdError('internal', failures.join('; '));
    },
  },
  { name: 'provision', fatal: false, run: (c) => runProvision(requireConfig(c).provision, serviceEnv(requireConfig(c)), c.log) },
  { name: 'load-engine-modules', fatal: false, run: async (c) => c.engineModules },
  {
    name: 'start-engine',
    fatal: true,
    run: async (c) => {
      const config = requireConfig(c);
      if (!c.supervisor) throw new TsdError('internal', 'the supervisor was not created (start-sshd did not run)');
      await writeDaemonJson(config);
      for (const spec of engineSpecs(daemonEnv(config))) c.supervisor.start(spec);
    },
  },
  {
    name: 'watch-power-button',
    fatal: false,
    run: async (c) => {
      const devices = await findPowerButtons();
      if (devices.length === 0) throw new TsdError('not-found', 'no input device reports KEY_POWER (evdev, button/gpio_keys loaded?)');
      for (const device of devices) watchPowerButton(device, c.onPowerButton, (error) => c.log(`power button ${device}: ${error.message}`));
      c.log(`power button: ${devices.join(', ')}`);
    },
  },
  {
    name: 'wait-for-services',
    fatal: false,
    // `answers: ssh on port 22` is GUEST_SSHD_ANSWERS_LINE, which the host agent watches for
    run: (c) => waitUntilReady(serviceReadiness(GUEST_LOG_DIR), 60_000, 50, (check) => c.log(`answers: ${check.description}`)),
  },
];
