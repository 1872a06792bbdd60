/**
 * Typed reading of a parsed YAML document: each reader checks one node's type, records an
 * issue (with the node's line and column) when it is wrong, and records every key path's
 * position so that later checks can point at the line too.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { indexPath, keyPath, type ConfigIssue, type Position } from './source.js';
import { listOf, nearest } from './suggest.js';
import { parseSize, type SizeUnit } from './sizes.js';

/** Reads one value; `null` is a value that is absent or written as null. */
export type Reader<T> = (node: Node | null, path: string) => T | undefined;

export class YamlReader {
  readonly issues: ConfigIssue[] = [];
  readonly sourceMap = new Map<string, Position>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  position(node: Node | null | undefined): Position | undefined {
    const start = node?.range?.[0];
    if (start === undefined) return undefined;
    const { line, col } = this.lines.linePos(start);
    return { line, column: col };
  }

  /** Records an issue at the path's recorded position (an alias points at its use), else at the node. */
  problem(node: Node | null | undefined, path: string, message: string): undefined {
    this.issues.push({ path, message, position: this.sourceMap.get(path) ?? this.position(node) });
    return undefined;
  }

  /**
   * The keys of a mapping with their value nodes (aliases followed; a value that is absent or
   * null comes back as null, which for most keys means "use the default"). Keys outside `known`
   * are issues, with a suggestion; `known: 'any'` accepts every key (env).
   */
  fields(node: Node | null, path: string, known: readonly string[] | 'any', what: string): Map<string, Node | null> | undefined {
    if (!isMap(node)) return this.problem(node, path, `expected ${what}, found ${describe(node)}`);
    const fields = new Map<string, Node | null>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) && keyNode.value !== null ? String(keyNode.value) : undefined;
      if (key === undefined) {
        this.issues.push({ path, message: `keys must be plain names, found ${describe(keyNode)}`, position: this.position(keyNode) });
        continue;
      }
      const childPath = keyPath(path, key);
      if (known !== 'any' && !known.includes(key)) {
        const guess = nearest(key, known);
        const hint = guess ? `did you mean "${guess}"? ` : '';
        this.problem(keyNode, childPath, `unknown key; ${hint}valid keys${path ? ' here' : ''}: ${known.join(', ')}`);
        continue;
      }
      const value = this.follow(pair.value as Node | null);
      // In a free-form map (env) the entry is named by its key, so point at the key.
      this.record(childPath, known === 'any' ? keyNode : ((pair.value as Node | null) ?? keyNode));
      fields.set(key, isNullNode(value) ? null : value);
    }
    return fields;
  }

  list<T>(node: Node | null, path: string, item: Reader<T>, what: string): T[] | undefined {
    if (!isSeq(node)) return this.problem(node, path, `expected a list of ${what}, found ${describe(node)}`);
    const values: T[] = [];
    node.items.forEach((raw, index) => {
      const itemPath = indexPath(path, index);
      this.record(itemPath, raw as Node);
      const value = item(this.follow(raw as Node | null), itemPath);
      if (value !== undefined) values.push(value);
    });
    return values;
  }

  string: Reader<string> = (node, path) => {
    if (isScalar(node) && typeof node.value === 'string') return node.value;
    return this.problem(node, path, `expected a string, found ${describe(node)}`);
  };

  integer: Reader<number> = (node, path) => {
    if (isScalar(node) && typeof node.value === 'number' && Number.isInteger(node.value)) return node.value;
    return this.problem(node, path, `expected a whole number, found ${describe(node)}`);
  };

  boolean: Reader<boolean> = (node, path) => {
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    return this.problem(node, path, `expected true or false, found ${describe(node)}`);
  };

  choice<T extends string>(node: Node | null, path: string, values: readonly T[], what: string, aliases: Record<string, T> = {}): T | undefined {
    const found = isScalar(node) ? node.value : undefined;
    if (typeof found === 'string' && (values as readonly string[]).includes(found)) return found as T;
    const guess = typeof found === 'string' ? (aliases[found.toLowerCase()] ?? nearest(found, values)) : undefined;
    const hint = guess ? `did you mean "${guess}"? ` : '';
    const shown = typeof found === 'string' ? JSON.stringify(found) : describe(node);
    return this.problem(node, path, `${shown} is not a valid ${what}; ${hint}valid values: ${listOf(values)}`);
  }

  size(node: Node | null, path: string, unit: SizeUnit): number | undefined {
    const found = isScalar(node) ? node.value : undefined;
    if (typeof found !== 'number' && typeof found !== 'string') {
      return this.problem(node, path, `expected a size such as ${unit === 'MiB' ? '"4GiB"' : '"100GiB"'}, found ${describe(node)}`);
    }
    const result = parseSize(found, unit);
    return result.ok ? result.value : this.problem(node, path, result.problem);
  }

  private follow(node: Node | null): Node | null {
    return isAlias(node) ? (node.resolve(this.doc) ?? null) : node;
  }

  private record(path: string, node: Node | null): void {
    const position = this.position(node);
    if (position) this.sourceMap.set(path, position);
  }
}

/** What a node is, for "found …" in messages. */
export function describe(node: Node | null | undefined): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (!isScalar(node) || node.value === null || node.value === undefined) return 'nothing (null)';
  if (typeof node.value === 'string') return `the string ${JSON.stringify(node.value)}`;
  if (typeof node.value === 'number') return `the number ${node.source ?? node.value}`;
  return String(node.value);
}

function isNullNode(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}
