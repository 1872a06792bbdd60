/**
 * `tsd pull` and the implicit pull of `tsd run`: POST /images/create streams JSON progress, shown
 * like docker's (one line per layer on a terminal). A failure arrives inside the stream with
 * HTTP 200, so the stream's error messages are what decide.
 */
import { TsdError } from '../../../guest/api/errors.js';
import type { EngineClient } from '../engine-client.js';
import { JsonMessageReader, ProgressDisplay, messageError, type JsonMessage } from '../json-progress.js';

export interface ImageReference {
  /** What /images/create takes as fromImage (no tag). */
  repository: string;
  /** Tag or digest ("sha256:…"). */
  tag: string;
  /** Whether the user gave a tag or digest. */
  explicit: boolean;
}

/** Splits NAME[:TAG][@DIGEST]; a colon before the last slash is a registry port, not a tag. */
export function parseImageReference(reference: string): ImageReference {
  const at = reference.indexOf('@');
  const colon = reference.lastIndexOf(':');
  const ref: ImageReference =
    at !== -1
      ? { repository: reference.slice(0, at), tag: reference.slice(at + 1), explicit: true }
      : colon > reference.lastIndexOf('/')
        ? { repository: reference.slice(0, colon), tag: reference.slice(colon + 1), explicit: true }
        : { repository: reference, tag: 'latest', explicit: false };
  // docker's rule: repository names are lowercase; tags and digests have no whitespace
  if (ref.repository === '' || ref.tag === '' || /[A-Z\s]/.test(ref.repository) || /\s/.test(ref.tag)) {
    throw new TsdError('invalid-argument', `invalid reference format: "${reference}"${/[A-Z]/.test(ref.repository) ? ' (repository name must be lowercase)' : ''}`);
  }
  return ref;
}

/** docker.io/library/busybox:latest — the fully qualified name docker prints after a pull. */
export function canonicalReference(ref: ImageReference): string {
  const first = ref.repository.split('/')[0]!;
  const hasDomain = ref.repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const name = hasDomain ? ref.repository : `docker.io/${ref.repository.includes('/') ? '' : 'library/'}${ref.repository}`;
  return `${name}${ref.tag.startsWith('sha256:') ? '@' : ':'}${ref.tag}`;
}

export interface PullOutput {
  write(text: string): void;
  terminal: boolean;
}

export async function pullImage(client: EngineClient, reference: string, out: PullOutput, platform?: string): Promise<ImageReference> {
  const ref = parseImageReference(reference);
  if (!ref.explicit) out.write('Using default tag: latest\n');
  const response = await client.stream('POST', '/images/create', { query: { fromImage: ref.repository, tag: ref.tag, platform } });
  const reader = new JsonMessageReader();
  const display = new ProgressDisplay(out.terminal);
  let failure: string | undefined;
  const take = (messages: JsonMessage[]) => {
    for (const message of messages) {
      failure ??= messageError(message);
      out.write(display.render(message));
    }
  };
  for await (const chunk of response) take(reader.push(chunk as Buffer));
  take(reader.end());
  if (failure !== undefined) throw new TsdError('not-found', failure);
  return ref;
}
