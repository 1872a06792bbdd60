/**
 * Chain IDs (OCI image spec, "Layer ChainID"): the identity of a stack of layers, used as the
 * snapshot name of each unpacked layer. ChainID(L0) = DiffID(L0);
 * ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln)).
 */
import { createHash } from 'node:crypto';

export function chainIds(diffIds: readonly string[]): string[] {
  const chain: string[] = [];
  for (const diffId of diffIds) {
    const parent = chain.at(-1);
    chain.push(parent === undefined ? diffId : `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}`);
  }
  return chain;
}
