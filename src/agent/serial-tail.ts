/** The last lines of the serial console: the first thing to read when a boot fails. */
import { readFile } from 'node:fs/promises';

export async function serialTail(path: string, lines = 25): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.replaceAll('\r', '').trimEnd().split('\n').slice(-lines).join('\n') || '(empty)';
  } catch {
    return '(no serial log)';
  }
}
