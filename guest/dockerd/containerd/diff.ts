/** containerd's Diff service: apply a layer from the content store onto the snapshot the mounts describe. */
import type { ContainerdConnection, CallOptions } from './connection.js';
import type { DescriptorMessage, MountMessage } from './types.js';

const SERVICE = 'containerd.services.diff.v1.Diff';

export class DiffClient {
  constructor(private readonly connection: ContainerdConnection) {}

  /** Returns the applied (uncompressed) descriptor: its digest is the layer's diff ID. */
  async apply(layer: DescriptorMessage, mounts: MountMessage[], options: CallOptions = {}): Promise<DescriptorMessage> {
    const response = await this.connection.unary<object, { applied: DescriptorMessage }>(
      SERVICE, 'Apply', { diff: { annotations: {}, ...layer }, mounts, payloads: {} }, options,
    );
    return response.applied;
  }
}
