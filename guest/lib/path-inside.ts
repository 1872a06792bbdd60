/** Whether `child` is `parent` or lies below it (lexically: both absolute, normalised by path.relative). */
import path from 'node:path';

export function isPathInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
