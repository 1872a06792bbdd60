/**
 * A benchmark's section of docs/benchmarks.md, between `<!-- NAME:start -->` and `<!-- NAME:end -->`:
 * replaced in place when present, appended otherwise. Anything after a `<!-- NAME:analysis -->`
 * marker inside the old section (hand-written findings) is kept when the new text has that marker.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export const BENCHMARKS_MD = new URL('../../docs/benchmarks.md', import.meta.url).pathname;

export function writeDocsSection(name: string, body: string, file = BENCHMARKS_MD): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const marker = `<!-- ${name}:analysis -->`;
  const old = readFileSync(file, 'utf8');
  const from = old.indexOf(start);
  const to = old.indexOf(end);
  let text = body.trimEnd();
  if (from !== -1 && to > from && text.includes(marker)) {
    const previous = old.slice(from, to);
    const kept = previous.includes(marker) ? previous.slice(previous.indexOf(marker) + marker.length).trim() : '';
    if (kept) text = `${text.slice(0, text.indexOf(marker) + marker.length)}\n${kept}`;
  }
  const section = `${start}\n${text}\n${end}\n`;
  const next = from !== -1 && to > from ? old.slice(0, from) + section + old.slice(to + end.length).replace(/^\n/, '') : `${old.trimEnd()}\n\n${section}`;
  writeFileSync(file, next);
}
