/**
 * containerd's filter syntax, the subset list/walk calls use:
 *   filter   := selector (',' selector)*        (all must match)
 *   selector := fieldpath [('==' | '!=' | '~=') value]   (no operator: the field is present)
 *   fieldpath:= field ('.' field)*  where a field is a name or a "quoted string"
 * Several filters are alternatives (any may match). Unknown fields never match.
 */
import { TsdError } from '../../api/errors.js';

export type FieldLookup = (path: string[]) => string | undefined;
export type Matcher = (lookup: FieldLookup) => boolean;

interface Selector {
  path: string[];
  operator?: '==' | '!=' | '~=';
  value?: string;
  regex?: RegExp;
}

export function parseFilter(text: string): Matcher {
  const selectors = splitTopLevel(text).map((part) => parseSelector(part, text));
  return (lookup) => selectors.every((selector) => matches(selector, lookup));
}

/** Any of the filters; no filters match everything. */
export function anyFilter(texts: string[]): Matcher {
  const matchers = texts.filter((t) => t.trim() !== '').map(parseFilter);
  return (lookup) => matchers.length === 0 || matchers.some((m) => m(lookup));
}

function matches(selector: Selector, lookup: FieldLookup): boolean {
  const actual = lookup(selector.path);
  switch (selector.operator) {
    case undefined: return actual !== undefined;
    case '==': return actual === selector.value;
    case '!=': return actual !== selector.value;
    case '~=': return actual !== undefined && (selector.regex as RegExp).test(actual);
  }
}

/** Splits on commas outside quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '"' && text[i - 1] !== '\\') quote = !quote;
    if (ch === ',' && !quote) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (quote) throw new TsdError('invalid-argument', `invalid filter "${text}": unterminated quote`);
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseSelector(part: string, whole: string): Selector {
  const path: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new TsdError('invalid-argument', `invalid filter "${whole}": ${why}`);
  };
  for (;;) {
    if (part[i] === '"') {
      const end = findClosingQuote(part, i);
      if (end === -1) fail('unterminated quote');
      path.push(unquote(part.slice(i, end + 1)));
      i = end + 1;
    } else {
      const m = /^[A-Za-z0-9_/-]+/.exec(part.slice(i));
      if (!m) fail(`expected a field name at "${part.slice(i)}"`);
      path.push((m as RegExpExecArray)[0]);
      i += (m as RegExpExecArray)[0].length;
    }
    if (part[i] !== '.') break;
    i++;
  }
  const rest = part.slice(i).trim();
  if (rest === '') return { path };
  const operator = rest.slice(0, 2);
  if (operator !== '==' && operator !== '!=' && operator !== '~=') fail(`expected ==, != or ~= at "${rest}"`);
  const rawValue = rest.slice(2).trim();
  const value = rawValue.startsWith('"') ? unquote(rawValue) : rawValue;
  const selector: Selector = { path, operator: operator as Selector['operator'], value };
  if (operator === '~=') {
    try {
      selector.regex = new RegExp(value);
    } catch (error) {
      throw new TsdError('invalid-argument', `invalid filter "${whole}": bad regular expression ${value}`, { cause: error });
    }
  }
  return selector;
}

function findClosingQuote(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

function unquote(text: string): string {
  return text.slice(1, -1).replace(/\\(.)/g, '$1');
}
