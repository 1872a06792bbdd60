/**
 * Where things are in a machine file, and how problems with them are reported.
 *
 * Every problem is a ConfigIssue: a key path such as `mounts[1].writable`, a message that says
 * what was found and what would be valid, and (when the value came from the file) its line and
 * column. All issues of one file are thrown together as one MachineFileError.
 */
import { TsdError } from '../../guest/api/errors.js';

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface ConfigIssue {
  /** Key path, e.g. `mounts[1].writable`; empty for the file as a whole. */
  path: string;
  message: string;
  position?: Position;
}

/** Key path → position of its value in the file; filled while decoding. */
export type SourceMap = ReadonlyMap<string, Position>;

export class MachineFileError extends TsdError {
  readonly file: string;
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, issues: readonly ConfigIssue[]) {
    super('invalid-argument', issues.map((issue) => formatIssue(file, issue)).join('\n'));
    this.file = file;
    this.issues = issues;
  }
}

/** `file:line:column: path: message`, leaving out what is not known. */
export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.position ? `${file}:${issue.position.line}:${issue.position.column}` : file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/**
 * The position of a path, or of its nearest ancestor present in the file: a defaulted
 * `mounts[0].mountPoint` is reported at `mounts[0]`.
 */
export function locate(sourceMap: SourceMap, path: string): Position | undefined {
  for (let p = path; p !== ''; p = parentPath(p)) {
    const position = sourceMap.get(p);
    if (position) return position;
  }
  return undefined;
}

function parentPath(path: string): string {
  const cut = path.endsWith(']') ? path.lastIndexOf('[') : path.lastIndexOf('.');
  return cut <= 0 ? '' : path.slice(0, cut);
}

/** `parent.key`, or `parent["odd key"]` when the key is not a plain name. */
export function keyPath(parent: string, key: string): string {
  if (!parent) return key;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
