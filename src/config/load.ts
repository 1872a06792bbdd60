/**
 * The machine file, end to end: read → parse YAML → decode (keys, types) → defaults →
 * validate (values, this host). Every problem is reported with the file, line, column and
 * key path, all at once, as one MachineFileError (a TsdError 'invalid-argument').
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { TsdError } from '../../guest/api/errors.js';
import type { MachineConfig } from './machine-config.js';
import { decodeMachineFile } from './decode.js';
import { applyDefaults, defaultMachineConfig } from './defaults.js';
import { currentHost, type HostInfo } from './host.js';
import { MachineFileError, type ConfigIssue } from './source.js';
import { validateMachineConfig } from './validate.js';

export { defaultMachineConfig };

export async function loadMachineConfig(filePath: string, host: HostInfo = currentHost()): Promise<MachineConfig> {
  let text: string;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TsdError('not-found', `machine file not found: ${filePath}`, { cause: error });
    const reason = code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new TsdError('invalid-argument', `cannot read machine file ${filePath}: ${reason}`, { cause: error });
  }
  return parseMachineConfig(text, filePath, host);
}

/** `fileName` is only used in messages. */
export function parseMachineConfig(text: string, fileName: string, host: HostInfo = currentHost()): MachineConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  // Only the first syntax error: the parser's later ones are mostly echoes of it.
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const { line, col } = lines.linePos(syntaxError.pos[0]);
    throw new MachineFileError(fileName, [{ path: '', message: `invalid YAML: ${syntaxError.message}`, position: { line, column: col } }]);
  }
  const decoded = decodeMachineFile(doc, lines);
  // Stop here on type errors: values that failed to decode are missing, and checking the
  // rest would report wrong list indexes or defaults the user never wrote.
  if (decoded.issues.length > 0) throw new MachineFileError(fileName, inFileOrder(decoded.issues));
  const config = applyDefaults(decoded.file, host);
  const issues = validateMachineConfig(config, host, decoded.sourceMap);
  if (issues.length > 0) throw new MachineFileError(fileName, inFileOrder(issues));
  return config;
}

function inFileOrder(issues: ConfigIssue[]): ConfigIssue[] {
  // Issues without a position (defaults) go last, in the order they were found.
  const rank = (issue: ConfigIssue) => (issue.position ? issue.position.line * 1e6 + issue.position.column : Number.MAX_SAFE_INTEGER);
  return [...issues].sort((a, b) => rank(a) - rank(b));
}
