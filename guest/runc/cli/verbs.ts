/**
 * The verb table: name → module, loaded only when used (a runtime is exec'd several times per
 * container, so each invocation should evaluate as little as possible).
 */
import type { Verb } from './context.js';

type Loader = () => Promise<{ verb: Verb }>;

export const VERBS: Readonly<Record<string, Loader>> = {
  create: () => import('../verbs/create.js'),
  start: () => import('../verbs/start.js'),
  run: () => import('../verbs/run.js'),
  state: () => import('../verbs/state.js'),
  kill: () => import('../verbs/kill.js'),
  delete: () => import('../verbs/delete.js'),
  list: () => import('../verbs/list.js'),
  exec: () => import('../verbs/exec.js'),
  ps: () => import('../verbs/ps.js'),
  pause: () => import('../verbs/pause.js'),
  resume: () => import('../verbs/resume.js'),
  update: () => import('../verbs/update.js'),
  events: () => import('../verbs/events.js'),
  spec: () => import('../verbs/spec.js'),
  features: () => import('../verbs/features.js'),
};

export const VERB_SUMMARY: Readonly<Record<string, string>> = {
  create: 'create a container',
  start: 'executes the user defined process in a created container',
  run: 'create and run a container',
  state: 'output the state of a container',
  kill: 'kill sends the specified signal (default: SIGTERM) to the container\'s init process',
  delete: 'delete any resources held by the container often used with detached container',
  list: 'lists containers started by tsd-runc with the given root',
  exec: 'execute new process inside the container',
  ps: 'ps displays the processes running inside a container',
  pause: 'pause suspends all processes inside the container',
  resume: 'resumes all processes that have been previously paused',
  update: 'update container resource constraints',
  events: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics',
  spec: 'create a new specification file',
  features: 'show the enabled features',
};
