/**
 * OCI hooks: each runs with the container state as JSON on stdin, in order; a timeout kills it.
 * Which hooks are fatal is the caller's business (poststart and poststop only warn).
 */
import { TsdError } from '../../api/errors.js';
import type { Hook, HookName, Spec } from '../../api/oci-runtime-spec.js';
import type { StateJson } from '../state/record.js';

export async function runHooks(spec: Spec, name: HookName, state: StateJson): Promise<void> {
  for (const [i, hook] of (spec.hooks?.[name] ?? []).entries()) {
    try {
      await runHook(hook, state);
    } catch (error) {
      throw new TsdError('internal', `error running ${name} hook #${i}: ${(error as Error).message}`, { cause: error });
    }
  }
}

function runHook(hook: Hook, state: StateJson): Promise<void> {
  return new Promise((resolve, reject) => {
    const [argv0, ...args] = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
    // Loaded only when a hook runs: most creates have none, and child_process costs a few ms of CPU.
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn(hook.path, args, {
      argv0,
      // Like runc (Go's exec.Cmd): no env list means the runtime's own environment.
      env: hook.env ? Object.fromEntries(hook.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) : process.env,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin!.on('error', () => undefined); // a hook may not read its stdin
    child.stdin!.end(JSON.stringify(state));
    const timer = hook.timeout ? setTimeout(() => child.kill('SIGKILL'), hook.timeout * 1000) : undefined;
    child.on('error', (error) => reject(error));
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code === 0) return resolve();
      const why = signal === 'SIGKILL' && hook.timeout ? `timed out after ${hook.timeout}s` : signal ? `killed by ${signal}` : `exit status ${code}`;
      reject(new Error(`${hook.path}: ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    });
  });
}
