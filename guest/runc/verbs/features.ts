/** `features`: what this runtime implements, as the runtime-spec features document. */
import type { CapabilityName, Features } from '../../api/oci-runtime-spec.js';
import type { Verb } from '../cli/context.js';
import { CAPABILITIES, MOUNT_FLAG_OPTIONS, PROPAGATION_OPTIONS } from '../plan/linux-constants.js';

export function features(): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.2.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: [...Object.keys(MOUNT_FLAG_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS)].sort(),
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'],
      capabilities: [...CAPABILITIES] as CapabilityName[],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      seccomp: {
        enabled: true,
        actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP'],
        operators: ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE'],
        archs: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: { 'dev.tsd.runc.helper': 'guest/native (static C)' },
  };
}

export const verb: Verb = {
  name: 'features',
  usage: 'tsd-runc features',
  flags: [],
  async run() {
    process.stdout.write(`${JSON.stringify(features(), null, 4)}\n`);
    return 0;
  },
};
