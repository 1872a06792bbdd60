/**
 * The reference machine file (templates/default.yaml): every key, commented, with its default.
 * It lives beside the sources; from the compiled dist/ the same file is found in src/.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CANDIDATES = [
  new URL('./templates/default.yaml', import.meta.url), // running from src/ (tsx)
  new URL('../../../src/config/templates/default.yaml', import.meta.url), // running from dist/src/config/
];

export function defaultTemplatePath(): string {
  const found = CANDIDATES.find((url) => existsSync(url));
  return fileURLToPath(found ?? CANDIDATES[0]!);
}
