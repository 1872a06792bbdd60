/**
 * Keeps the kernel's copy of the engine's nftables table equal to the engine's state: every change
 * re-renders the whole table and loads it in one transaction; writes are serialised.
 */
import { run } from '../sys/run.js';
import { renderDelete, renderRuleset, type NftNetwork, type NftPublication } from './ruleset.js';

export class Firewall {
  private networks: NftNetwork[] = [];
  private publications: NftPublication[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly instance: string) {}

  setNetworks(networks: NftNetwork[]): Promise<void> {
    this.networks = networks;
    return this.apply();
  }

  setPublications(publications: NftPublication[]): Promise<void> {
    this.publications = publications;
    return this.apply();
  }

  /** Removes the table (engine shutdown); containers lose NAT until the engine starts again. */
  remove(): Promise<void> {
    return this.enqueue(() => run(['nft', '-f', '-'], renderDelete(this.instance)));
  }

  private apply(): Promise<void> {
    return this.enqueue(() => run(['nft', '-f', '-'], renderRuleset(this.instance, this.networks, this.publications)));
  }

  private enqueue(step: () => Promise<unknown>): Promise<void> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return next.then(() => undefined);
  }
}
