/**
 * Process → plan for `exec`: join every namespace of the container's init (user first, mount last
 * so that the /proc paths still resolve on the host), fork into the pid namespace, then set up the
 * identity and exec. Pure, like build-init.ts.
 */
import type { LinuxNamespaceType, Process } from '../../api/oci-runtime-spec.js';
import { consoleSetup, lookpathSteps } from './build-init.js';
import { identitySteps, type SeccompLoad } from './identity.js';
import { CLONE_NEW, NS_FILE, RLIMITS } from './linux-constants.js';
import type { Step } from './steps.js';

const JOIN_ORDER: readonly LinuxNamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'mount'];

export interface ExecPlanInput {
  process: Process;
  /** Host pid of the container's init. */
  initPid: number;
  /** Namespace types the container has (created or joined): the exec joins each of them. */
  namespaces: readonly LinuxNamespaceType[];
  attached: boolean;
  consoleSocket?: string;
  preserveFds: number;
  seccomp?: SeccompLoad;
}

export function buildExecPlan(input: ExecPlanInput): Step[] {
  const { process } = input;
  const steps: Step[] = [];
  if (input.attached) steps.push(['attached']);
  if (input.consoleSocket) steps.push(['console_connect', input.consoleSocket]);
  else if (process.terminal && input.attached) steps.push(['console_relay']);
  for (const type of JOIN_ORDER) {
    if (input.namespaces.includes(type)) steps.push(['setns', `/proc/${input.initPid}/ns/${NS_FILE[type]}`, CLONE_NEW[type]]);
  }
  steps.push(['clone', 0], ['sync', 'setup']);
  if (process.terminal) steps.push(consoleSetup(process));
  for (const limit of process.rlimits ?? []) steps.push(['rlimit', RLIMITS[limit.type]!, BigInt(limit.soft), BigInt(limit.hard)]);
  steps.push(...identitySteps(process, input.seccomp, { setgroups: true }), ...lookpathSteps(process), ['ready'], ['closefds', input.preserveFds]);
  const args = process.args ?? [];
  steps.push(['exec', args[0]!, args, process.env ?? []]);
  return steps;
}
