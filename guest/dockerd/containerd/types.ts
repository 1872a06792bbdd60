/** Message shapes shared by the service clients (proto-loader objects: camelCase, int64 as number). */
import type { Timestamp } from '../../containerd/api/timestamps.js';

export interface DescriptorMessage {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** containerd.types.Mount: a description; whoever receives it decides whether to mount. */
export interface MountMessage {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

export type { Timestamp };
