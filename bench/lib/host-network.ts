/**
 * Undo what an engine left in the host's network configuration. A snapshot before the engine
 * starts (iptables rules and chains, nftables tables, the forwarding sysctls); after it has stopped,
 * `undoSince` deletes the rules and chains that appeared since, tables an engine created that are
 * left empty, and restores the sysctls. Only differences are touched, so rules other people add
 * meanwhile under other names stay; rules added under the same names in the same window would not,
 * which is why this is for benchmarks, not tests.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

// Full paths: under npx, PATH starts with node_modules/.bin, where an unrelated "nft" (@vercel/nft) lives.
const NFT = '/usr/sbin/nft';
const IPTABLES = '/usr/sbin/iptables';
const IPTABLES_SAVE = '/usr/sbin/iptables-save';
const IP = '/usr/sbin/ip';
const SYSCTLS = ['/proc/sys/net/ipv4/ip_forward', '/proc/sys/net/bridge/bridge-nf-call-iptables', '/proc/sys/net/bridge/bridge-nf-call-ip6tables'];

export interface NetworkSnapshot {
  /** Per iptables table: its user chains and its rule lines (`-A CHAIN …`). */
  iptables: Map<string, { chains: Set<string>; rules: Set<string> }>;
  nftTables: Set<string>;
  sysctls: Map<string, string>;
}

function iptablesSave(): Map<string, { chains: Set<string>; rules: Set<string> }> {
  const tables = new Map<string, { chains: Set<string>; rules: Set<string> }>();
  let current: { chains: Set<string>; rules: Set<string> } | undefined;
  for (const line of execFileSync(IPTABLES_SAVE, { encoding: 'utf8' }).split('\n')) {
    if (line.startsWith('*')) tables.set(line.slice(1), (current = { chains: new Set(), rules: new Set() }));
    // user chains only (`:NAME - [0:0]`); built-in ones (`:INPUT ACCEPT …`) come and go with their table
    else if (line.startsWith(':') && line.split(' ')[1] === '-' && current) current.chains.add(line.slice(1).split(' ')[0]!);
    else if (line.startsWith('-A ') && current) current.rules.add(line);
  }
  return tables;
}

const nftTables = (): Set<string> =>
  new Set(execFileSync(NFT, ['list', 'tables'], { encoding: 'utf8' }).split('\n').filter((line) => line.startsWith('table ')).map((line) => line.slice(6)));

const readSysctl = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};

export function snapshotNetwork(): NetworkSnapshot {
  const sysctls = new Map<string, string>();
  for (const path of SYSCTLS) {
    const value = readSysctl(path);
    if (value !== undefined) sysctls.set(path, value);
  }
  return { iptables: iptablesSave(), nftTables: nftTables(), sysctls };
}

/** A readable list of what differs from `before` now (empty when nothing does). */
export function networkChanges(before: NetworkSnapshot): string[] {
  const changes: string[] = [];
  for (const [table, now] of iptablesSave()) {
    const old = before.iptables.get(table);
    for (const chain of now.chains) if (!old?.chains.has(chain)) changes.push(`iptables -t ${table}: chain ${chain}`);
    for (const rule of now.rules) if (!old?.rules.has(rule)) changes.push(`iptables -t ${table}: ${rule}`);
  }
  for (const table of nftTables()) if (!before.nftTables.has(table)) changes.push(`nft table ${table} (new; maybe another engine's)`);
  for (const [path, value] of before.sysctls) if (readSysctl(path) !== value) changes.push(`${path}: ${value} → ${readSysctl(path)}`);
  return changes;
}

/** Deletes what appeared since `before` (see the module comment); returns what it removed. */
export function undoSince(before: NetworkSnapshot): string[] {
  const removed = networkChanges(before).filter((change) => change.startsWith('iptables') || change.startsWith('/proc'));
  for (const [table, now] of iptablesSave()) {
    const old = before.iptables.get(table);
    for (const rule of [...now.rules].reverse()) {
      if (old?.rules.has(rule)) continue;
      // iptables-save quotes arguments with spaces; `-D` takes the same words.
      const words = rule.slice(3).match(/"[^"]*"|\S+/g)!.map((word) => word.replace(/^"|"$/g, ''));
      execFileSync(IPTABLES, ['-w', '-t', table, '-D', ...words]);
    }
    for (const chain of now.chains) {
      if (old?.chains.has(chain)) continue;
      execFileSync(IPTABLES, ['-w', '-t', table, '-F', chain]);
      execFileSync(IPTABLES, ['-w', '-t', table, '-X', chain]);
    }
  }
  // iptables-nft makes `ip filter`, `ip nat`… tables on first use; one that did not exist before
  // and now holds no rules is removed with the rest.
  for (const table of nftTables()) {
    if (before.nftTables.has(table) || !/^ip6? (filter|nat|mangle|raw|security)$/.test(table)) continue;
    const listing = execFileSync(NFT, ['list', 'table', ...table.split(' ')], { encoding: 'utf8' });
    const hasRules = listing.split('\n').some((line) => /^\s+(?!type |policy |chain |})\S/.test(line));
    if (hasRules) continue;
    execFileSync(NFT, ['delete', 'table', ...table.split(' ')]);
    removed.push(`empty nft table ${table} (made by iptables)`);
  }
  for (const [path, value] of before.sysctls) if (readSysctl(path) !== value) writeFileSync(path, `${value}\n`);
  return removed;
}

/** nftables tables whose rules mention `word` (an engine's bridge name), as "family name". */
export function nftTablesMentioning(word: string): string[] {
  return [...nftTables()].filter((table) => {
    try {
      return execFileSync(NFT, ['list', 'table', ...table.split(' ')], { encoding: 'utf8' }).includes(`"${word}"`);
    } catch {
      return false; // deleted meanwhile
    }
  });
}

export function deleteNftTable(table: string): void {
  execFileSync(NFT, ['delete', 'table', ...table.split(' ')]);
}

/** Deletes a network interface if it exists; true if it did. */
export function deleteLink(name: string): boolean {
  try {
    execFileSync(IP, ['link', 'show', name], { stdio: 'ignore' });
  } catch {
    return false;
  }
  execFileSync(IP, ['link', 'del', name]);
  return true;
}
