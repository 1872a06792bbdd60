/**
 * The container's argv and environment from the create request merged with the image config,
 * the way Docker does it: a request Entrypoint replaces the image's and then drops the image's
 * Cmd; a request Cmd replaces the image's Cmd; Env entries override the image's by key.
 */
import { TsdError } from '../../../api/errors.js';
import type { ImageRuntimeConfig } from '../../../api/oci-image-spec.js';
import type { ContainerConfig } from '../docker-types.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The Config stored with the container: request fields over the image's (Docker's merge). */
export function mergeImageConfig(request: ContainerConfig, image: ImageRuntimeConfig = {}): ContainerConfig {
  const merged: ContainerConfig = { ...request };
  const entrypointGiven = request.Entrypoint !== undefined && request.Entrypoint !== null;
  const cmdGiven = request.Cmd !== undefined && request.Cmd !== null && request.Cmd.length > 0;
  if (!entrypointGiven) merged.Entrypoint = image.Entrypoint ?? null;
  if (!cmdGiven) merged.Cmd = entrypointGiven ? null : (image.Cmd ?? null);
  if (entrypointGiven && (request.Entrypoint as string[]).length === 0 && !cmdGiven) {
    // `--entrypoint ""` resets the entrypoint but keeps the image's Cmd (Docker's behaviour).
    merged.Entrypoint = null;
    merged.Cmd = image.Cmd ?? null;
  }
  merged.Env = mergeEnv(image.Env ?? [], request.Env ?? []);
  if (!request.WorkingDir) merged.WorkingDir = image.WorkingDir ?? '';
  if (!request.User) merged.User = image.User ?? '';
  if (!request.StopSignal && image.StopSignal) merged.StopSignal = image.StopSignal;
  if (!request.Healthcheck && image.Healthcheck) merged.Healthcheck = image.Healthcheck;
  merged.Labels = { ...(image.Labels ?? {}), ...(request.Labels ?? {}) };
  if (image.ExposedPorts || request.ExposedPorts) merged.ExposedPorts = { ...(image.ExposedPorts ?? {}), ...(request.ExposedPorts ?? {}) };
  if (image.Volumes || request.Volumes) merged.Volumes = { ...(image.Volumes ?? {}), ...(request.Volumes ?? {}) };
  return merged;
}

/** Later entries win by key; a bare "KEY" (no "=") in the request removes nothing and is kept as-is. */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const order: string[] = [];
  const values = new Map<string, string>();
  for (const entry of [...base, ...overrides]) {
    const key = entry.split('=', 1)[0]!;
    if (!values.has(key)) order.push(key);
    values.set(key, entry);
  }
  return order.map((key) => values.get(key)!);
}

/** argv = Entrypoint ++ Cmd; Docker's 400 when both are empty. */
export function containerArgs(config: ContainerConfig): string[] {
  const args = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (args.length === 0) throw new TsdError('invalid-argument', 'no command specified');
  return args;
}

/** The process environment: PATH when the image has none, HOSTNAME, TERM with a tty, then Config.Env. */
export function processEnv(config: ContainerConfig, hostname: string): string[] {
  const env = config.Env ?? [];
  const base = [`HOSTNAME=${hostname}`];
  if (!env.some((e) => e.startsWith('PATH='))) base.unshift(DEFAULT_PATH);
  if (config.Tty) base.push('TERM=xterm');
  return mergeEnv(base, env);
}
