/**
 * How the engine starts networking and how other modules reach it. engine-server.ts calls
 * addNetworkRoutes(router, ctx) once; networking starts on first use (a /networks request or a
 * container start), so engines that never run a container never create a bridge. The container
 * module calls networkingOf(ctx) for the Networking interface and registers its ContainerLookup.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TsdError } from '../../api/errors.js';
import { GUEST_TSD_DIR } from '../../api/guest-layout.js';
import type { EngineConfig } from '../config/engine-config.js';
import type { EngineContext } from '../engine-context.js';
import type { Router } from '../router.js';
import type { AttachResult, ContainerLookup, ContainerNetworkSpec, Networking, NetworkSettings, PublishHook } from './api.js';
import { defaultNetworkingOptions, type NetworkingOptions } from './network-options.js';
import { startNetworking, type NetworkService } from './network-service.js';
import { addNetworkRouteTable } from './routes.js';

/** Engine configuration (daemon.json keys) → networking options. */
export function networkingOptionsFrom(config: EngineConfig, extra: Partial<NetworkingOptions> = {}): NetworkingOptions {
  const optional = config as EngineConfig & { userlandProxy?: boolean; icc?: boolean; mtu?: number };
  return defaultNetworkingOptions(config.dataRoot, {
    bridgeName: config.bridge,
    ...(config.bip ? { bip: config.bip } : {}),
    addressPools: config.defaultAddressPools,
    dns: config.dns,
    ...(optional.userlandProxy !== undefined ? { userlandProxy: optional.userlandProxy } : {}),
    ...(optional.icc !== undefined ? { icc: optional.icc } : {}),
    ...(optional.mtu !== undefined ? { mtu: optional.mtu } : {}),
    ...extra,
  });
}

/** Starts the service once, on first use; a failed start is retried by the next use. */
export class EngineNetworking implements Networking {
  private starting: Promise<NetworkService> | undefined;
  private started: NetworkService | undefined;

  constructor(readonly options: NetworkingOptions) {}

  service(): Promise<NetworkService> {
    if (!this.starting) {
      this.starting = this.start().then(
        (service) => (this.started = service),
        (error: unknown) => {
          this.starting = undefined;
          throw error;
        },
      );
    }
    return this.starting;
  }

  private async start(): Promise<NetworkService> {
    // On a Linux host docker0 belongs to the host's Docker: host mode must name its own bridge.
    if (this.options.bridgeName === 'docker0' && !existsSync(GUEST_TSD_DIR)) {
      throw new TsdError('unavailable', 'networking refuses to use the bridge docker0 outside the tsd guest: configure "bridge" (npm run engine does)');
    }
    return await startNetworking(this.options);
  }

  ready(): Promise<void> {
    return this.service().then(() => undefined);
  }
  async prepare(containerId: string, spec: ContainerNetworkSpec): Promise<NetworkSettings> {
    return (await this.service()).prepare(containerId, spec);
  }
  async attach(containerId: string, netnsPath: string, spec?: ContainerNetworkSpec): Promise<AttachResult> {
    return (await this.service()).attach(containerId, netnsPath, spec);
  }
  async detach(containerId: string): Promise<void> {
    return (await this.service()).detach(containerId);
  }
  async release(containerId: string): Promise<void> {
    return (await this.service()).release(containerId);
  }
  /** Undefined until networking has started (await ready() first at engine start). */
  settings(containerId: string): NetworkSettings | undefined {
    return this.started?.settings(containerId);
  }
  async close(): Promise<void> {
    if (this.starting) await (await this.starting.catch(() => undefined))?.close();
  }
}

const engines = new WeakMap<object, EngineNetworking>();

export function addNetworkRoutes(router: Router, ctx: EngineContext, extra: Partial<NetworkingOptions> = {}): EngineNetworking {
  const networking = new EngineNetworking(
    networkingOptionsFrom(ctx.config, {
      events: (action, network, containerId) =>
        ctx.events.publish({ type: 'network', action, actor: network.id, attributes: { container: containerId, name: network.name, type: 'bridge' } }),
      ...extra,
    }),
  );
  engines.set(ctx, networking);
  // The container module looks for `networking` on the context at each use (containers/index.ts).
  (ctx as EngineContext & { networking?: Networking }).networking = networking;
  ctx.onClose(() => networking.close());
  // Containers from before a restart (live restore) need their DNS servers and ports back now, not
  // at the next request: start at once when any container has a networking record.
  const endpoints = join(ctx.config.dataRoot, 'network', 'endpoints');
  // (Once the API listens: it does not wait for networking, and the first answer should not either.)
  if (existsSync(endpoints) && readdirSync(endpoints).some((name) => name.endsWith('.json'))) {
    void (ctx.listening ?? Promise.resolve()).then(() => networking.ready()).catch((error: Error) => console.error(`dockerd: networking did not start: ${error.message}`));
  }
  addNetworkRouteTable(router, () => networking.service(), ctx);
  return networking;
}

/** The networking of an engine (after addNetworkRoutes). */
export function networkingOf(ctx: EngineContext): EngineNetworking {
  const networking = engines.get(ctx);
  if (!networking) throw new TsdError('unavailable', 'networking is not set up (addNetworkRoutes was not called)');
  return networking;
}

/** The container module tells networking how to find containers (for /networks/{id}/connect). */
export function useContainers(ctx: EngineContext, lookup: ContainerLookup): void {
  networkingOf(ctx).options.containers = lookup;
}

/** The VM side registers its hook that opens published ports on the user's host. */
export function usePublishHook(ctx: EngineContext, hook: PublishHook): void {
  networkingOf(ctx).options.publishHook = hook;
}
