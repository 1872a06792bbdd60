/**
 * SIGHUP reload, as dockerd does: the flags and the config file are read again and the settings
 * that can change in a running engine are applied in place (everything holding `ctx.config` sees
 * them at once). Others (sockets, roots, containerd, bridge) need a restart: changing them is
 * refused and the running configuration stays as it was.
 */
import { TsdError } from '../../api/errors.js';
import type { EngineContext } from '../engine-context.js';
import type { EngineConfig } from './engine-config.js';
import { loadEngineConfig } from './engine-flags.js';

const RELOADABLE = ['registryMirrors', 'insecureRegistries', 'dockerHubOrigin', 'liveRestore', 'debug', 'logLevel', 'dns'] as const;

export async function reloadConfig(ctx: EngineContext, argv: string[], defaults: EngineConfig): Promise<void> {
  const next = await loadEngineConfig(argv, defaults);
  const fixed = (Object.keys(next) as Array<keyof EngineConfig>).filter(
    (key) => !(RELOADABLE as readonly string[]).includes(key) && JSON.stringify(next[key]) !== JSON.stringify(ctx.config[key]),
  );
  if (fixed.length > 0) throw new TsdError('invalid-argument', `cannot reload ${fixed.join(', ')}: a restart is needed`);
  const config = ctx.config as unknown as Record<string, unknown>;
  for (const key of RELOADABLE) config[key] = next[key];
  ctx.events.publish({
    type: 'daemon',
    action: 'reload',
    actor: ctx.engineId,
    attributes: {
      'registry-mirrors': JSON.stringify(next.registryMirrors),
      'insecure-registries': JSON.stringify(next.insecureRegistries),
      'live-restore': String(next.liveRestore),
      debug: String(next.debug),
    },
  });
}
