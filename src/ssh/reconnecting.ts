/**
 * Keeps one SSH connection to the guest alive for the host agent: when it drops (guest sshd
 * restarted, network hiccup), it reconnects with exponential backoff. Users of the connection
 * call current(), which waits for the next connection when there is none.
 */
import { GuestSsh, type SshTarget } from './client.js';

export interface ReconnectOptions {
  target: SshTarget;
  /** Called with each connection made after the first (e.g. to set the guest clock again). */
  onReconnect?: (ssh: GuestSsh) => void;
  log: (line: string) => void;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class ReconnectingSsh {
  private connection: GuestSsh | undefined;
  private waiting: Array<(ssh: GuestSsh) => void> = [];
  private stopped = false;

  constructor(private readonly options: ReconnectOptions, first: GuestSsh) {
    this.adopt(first);
  }

  current(): Promise<GuestSsh> {
    if (this.connection !== undefined) return Promise.resolve(this.connection);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.connection?.end();
  }

  private adopt(ssh: GuestSsh): void {
    this.connection = ssh;
    for (const resolve of this.waiting.splice(0)) resolve(ssh);
    void ssh.closed().then(() => {
      this.connection = undefined;
      if (!this.stopped) {
        this.options.log('ssh connection to the guest dropped; reconnecting');
        void this.reconnect();
      }
    });
  }

  private async reconnect(): Promise<void> {
    let delay = this.options.minDelayMs ?? 250;
    while (!this.stopped) {
      try {
        const ssh = await GuestSsh.connect(this.options.target);
        if (this.stopped) {
          ssh.end();
          return;
        }
        this.options.log('ssh connection to the guest restored');
        this.adopt(ssh);
        this.options.onReconnect?.(ssh);
        return;
      } catch (error) {
        this.options.log(`ssh reconnect failed (${(error as Error).message}); retrying in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, this.options.maxDelayMs ?? 5_000);
      }
    }
  }
}
