/** Reads a bundle's config.json: parse errors and invalid fields become invalid-argument errors. */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { TsdError } from '../../api/errors.js';
import type { Spec } from '../../api/oci-runtime-spec.js';
import { validateSpec } from './validate.js';

export interface LoadedBundle {
  bundle: string;
  spec: Spec;
  rootfs: string;
}

export function loadBundle(bundleArg: string, needProcess = true): LoadedBundle {
  const bundle = resolve(bundleArg);
  let text: string;
  try {
    text = readFileSync(join(bundle, 'config.json'), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TsdError('not-found', `JSON specification file config.json not found in bundle ${bundle}`);
    throw new TsdError('invalid-argument', `cannot read ${join(bundle, 'config.json')}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TsdError('invalid-argument', `config.json: malformed JSON: ${(error as Error).message}`);
  }
  const spec = validateSpec(json, needProcess);
  const rootPath = spec.root!.path;
  const rootfs = isAbsolute(rootPath) ? rootPath : join(bundle, rootPath);
  try {
    if (!statSync(rootfs).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new TsdError('not-found', `rootfs (${rootfs}) does not exist or is not a directory (root.path)`);
  }
  return { bundle, spec, rootfs };
}
