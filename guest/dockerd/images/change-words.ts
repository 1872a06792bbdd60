/**
 * Word handling for `docker commit --change` lines, as the Dockerfile frontend does it: logical
 * lines (backslash continuations, `#` comments), shell-like words (quotes, backslash escapes) with
 * `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alternative}` taken from the config's Env, and
 * the JSON exec form of CMD/ENTRYPOINT/VOLUME/HEALTHCHECK CMD.
 */
import { TsdError } from '../../api/errors.js';

/** One instruction: its keyword as written and the rest of its (joined) line. */
export interface ChangeLine {
  keyword: string;
  rest: string;
}

export function changeLines(changes: readonly string[]): ChangeLine[] {
  const lines: ChangeLine[] = [];
  let pending = '';
  for (const raw of changes.join('\n').split('\n')) {
    const trimmed = raw.trim();
    if (pending === '' && (trimmed === '' || trimmed.startsWith('#'))) continue;
    if (trimmed.endsWith('\\')) {
      pending += trimmed.slice(0, -1);
      continue;
    }
    const line = (pending + trimmed).trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/s.exec(line);
    if (match) lines.push({ keyword: match[1]!, rest: match[2]! });
  }
  if (pending.trim()) {
    const match = /^(\S+)\s*(.*)$/s.exec(pending.trim());
    if (match) lines.push({ keyword: match[1]!, rest: match[2]! });
  }
  return lines;
}

/** A JSON array of strings (`["a", "b"]`), or undefined when `text` is not one (then it is shell form). */
export function jsonArray(text: string): string[] | undefined {
  if (!text.trim().startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export type EnvLookup = (name: string) => string | undefined;

export function envLookup(env: readonly string[] | undefined): EnvLookup {
  return (name) => {
    for (let i = (env ?? []).length - 1; i >= 0; i--) {
      const entry = env![i]!;
      const at = entry.indexOf('=');
      if ((at < 0 ? entry : entry.slice(0, at)) === name) return at < 0 ? '' : entry.slice(at + 1);
    }
    return undefined;
  };
}

/** Expands one `$…` at `text[i]` (i at the `$`); returns the value and the index after it. */
function expandAt(text: string, i: number, lookup: EnvLookup): [string, number] {
  const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-+])([^}]*))?\}/.exec(text.slice(i));
  if (braced) {
    const value = lookup(braced[1]!);
    const [, , operator, word = ''] = braced;
    const result = operator === ':-' ? (value ? value : word) : operator === ':+' ? (value ? word : '') : (value ?? '');
    return [result, i + braced[0].length];
  }
  const plain = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i));
  if (plain) return [lookup(plain[1]!) ?? '', i + plain[0].length];
  if (text[i + 1] === '{') throw new TsdError('invalid-argument', `failed to process "${text}": missing '}'`);
  return ['$', i + 1];
}

/** Splits `text` into words: whitespace separates, quotes group, `\` escapes, `$` expands (not in '…'). */
export function shellWords(text: string, lookup: EnvLookup = () => undefined): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === '\\' && i + 1 < text.length) {
      word += text[i + 1];
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new TsdError('invalid-argument', `failed to process "${text}": unexpected end of statement while looking for matching single-quote`);
      word += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$'.includes(text[i + 1]!)) {
          word += text[i + 1];
          i += 2;
        } else if (text[i] === '$') {
          const [value, next] = expandAt(text, i, lookup);
          word += value;
          i = next;
        } else {
          word += text[i++];
        }
      }
      if (i >= text.length) throw new TsdError('invalid-argument', `failed to process "${text}": unexpected end of statement while looking for matching double-quote`);
      i++;
    } else if (c === '$') {
      const [value, next] = expandAt(text, i, lookup);
      word += value;
      i = next;
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * `NAME=VALUE …` pairs (ENV, LABEL), or the legacy `NAME VALUE…` form, as the Dockerfile parser
 * reads them. `instruction` names the instruction in errors.
 */
export function nameValuePairs(instruction: string, rest: string, lookup: EnvLookup): Array<[string, string]> {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new TsdError('invalid-argument', `${instruction} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const legacy = /^(\S+)\s+(.*)$/s.exec(rest.trim());
    if (!legacy) throw new TsdError('invalid-argument', `${instruction} must have two arguments`);
    return [[legacy[1]!, shellWords(legacy[2]!, lookup).join(' ')]];
  }
  const pairs: Array<[string, string]> = [];
  for (const word of shellWords(rest, lookup)) {
    const at = word.indexOf('=');
    if (at < 0) throw new TsdError('invalid-argument', `Syntax error - can't find = in "${word}". Must be of the form: name=value`);
    if (at === 0) throw new TsdError('invalid-argument', `${instruction} names can not be blank`);
    pairs.push([word.slice(0, at), word.slice(at + 1)]);
  }
  return pairs;
}
