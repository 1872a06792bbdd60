/**
 * Images: a name pointing at a target descriptor (manifest or index) with labels, per namespace.
 * Validation and update field paths follow containerd's metadata image store.
 */
import { TsdError } from '../../api/errors.js';
import { parseDigest } from '../../api/oci-image-spec.js';
import { anyFilter } from '../content/filters.js';
import type { MetadataDb } from './metadata-db.js';
import { validateLabels } from './namespace-store.js';
import type { DescriptorRecord, ImageRecord, Labels } from './schema.js';

export interface ImageInput {
  name: string;
  labels: Labels;
  target: DescriptorRecord;
}

export class ImageStore {
  constructor(private readonly db: MetadataDb) {}

  get(ns: string, name: string): ImageRecord {
    const image = this.db.namespace(ns)?.images[name];
    if (!image) throw new TsdError('not-found', `image "${name}"`);
    return structuredClone(image);
  }

  list(ns: string, filters: string[]): ImageRecord[] {
    const matches = anyFilter(filters);
    return Object.values(this.db.namespace(ns)?.images ?? {})
      .filter((image) => matches((path) => imageField(image, path)))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((image) => structuredClone(image));
  }

  async create(ns: string, input: ImageInput): Promise<ImageRecord> {
    validateImage(input);
    return await this.db.updateNamespace(ns, (record) => {
      if (record.images[input.name]) throw new TsdError('already-exists', `image "${input.name}"`);
      const now = new Date().toISOString();
      const image: ImageRecord = { name: input.name, labels: dropEmpty(input.labels), target: { ...input.target }, createdAt: now, updatedAt: now };
      record.images[input.name] = image;
      return structuredClone(image);
    });
  }

  /** Paths: labels, labels.KEY, target, annotations, annotations.KEY; none replaces labels and target. */
  async update(ns: string, input: ImageInput, paths: string[]): Promise<ImageRecord> {
    if (input.name === '') throw new TsdError('invalid-argument', 'image name must not be empty');
    validateLabels(input.labels);
    return await this.db.updateNamespace(ns, (record) => {
      const image = record.images[input.name];
      if (!image) throw new TsdError('not-found', `image "${input.name}"`);
      if (paths.length === 0) {
        validateImage(input);
        image.labels = dropEmpty(input.labels);
        image.target = { ...input.target };
      }
      for (const path of paths) {
        if (path === 'labels') image.labels = dropEmpty(input.labels);
        else if (path.startsWith('labels.')) setOrDelete(image.labels, path.slice('labels.'.length), input.labels);
        else if (path === 'target') {
          validateImage(input);
          image.target = { ...input.target };
        } else if (path === 'annotations') image.target.annotations = { ...input.target.annotations };
        else if (path.startsWith('annotations.')) setOrDelete(image.target.annotations, path.slice('annotations.'.length), input.target.annotations);
        else throw new TsdError('invalid-argument', `cannot update "${path}" field on image "${input.name}"`);
      }
      image.updatedAt = new Date().toISOString();
      return structuredClone(image);
    });
  }

  async delete(ns: string, name: string): Promise<void> {
    await this.db.updateNamespace(ns, (record) => {
      if (!record.images[name]) throw new TsdError('not-found', `image "${name}"`);
      delete record.images[name];
    });
  }
}

function validateImage(input: ImageInput): void {
  if (input.name === '') throw new TsdError('invalid-argument', 'image name must not be empty');
  validateLabels(input.labels);
  try {
    parseDigest(input.target.digest);
  } catch (error) {
    throw new TsdError('invalid-argument', `image "${input.name}": target digest: ${(error as Error).message}`);
  }
  if (input.target.mediaType === '') throw new TsdError('invalid-argument', `image "${input.name}": target media type must not be empty`);
}

function imageField(image: ImageRecord, [head, ...rest]: string[]): string | undefined {
  if (head === 'name' && rest.length === 0) return image.name;
  if (head === 'labels' && rest.length > 0) return image.labels[rest.join('.')];
  if (head === 'target' && rest.length === 1) {
    if (rest[0] === 'digest') return image.target.digest;
    if (rest[0] === 'mediatype') return image.target.mediaType;
  }
  return undefined;
}

function setOrDelete(into: Labels, key: string, from: Labels): void {
  const value = from[key];
  if (value === undefined || value === '') delete into[key];
  else into[key] = value;
}

function dropEmpty(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
}
