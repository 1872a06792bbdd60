/** A host socket that carries a published port to the guest; TCP and UDP implement it. */
export interface Target {
  address: string;
  port: number;
}

export interface HostListener {
  /** The bound port (the chosen one when 0 was asked). */
  readonly hostPort: number;
  /** Sends new traffic to another guest target (a republish after an engine restart). */
  retarget(target: Target): void;
  /** Stops listening and ends the connections or relay sessions it carries. */
  close(): Promise<void>;
}
