/**
 * Undo what an engine left in the host's network configuration. A snapshot before the engine
 * starts (iptables rules and chains, nftables tables, the forwarding sysctls); after it has stopped,
 * `undoSince` deletes the rules and chains that appeared since and are the engine's (they name its
 * bridge, or live in or jump to chains no other engine's rule uses), tables iptables created that
 * are left empty, and restores the sysctls. Another dockerd started meanwhile shares Docker's chain
 * names: its rules name its own bridge, so they and the chains they use stay.
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

/** Interfaces a rule names (`-i X`, `-o X`, negated or not). */
const interfacesOf = (rule: string): string[] => [...rule.matchAll(/-[io] (\S+)/g)].map((m) => m[1]!);
/** The chain a rule jumps or goes to. */
const targetOf = (rule: string): string | undefined => /-[jg] (\S+)/.exec(rule)?.[1];

/**
 * Deletes what appeared since `before` and belongs to the engine whose bridge is `owner` (see the
 * module comment); returns what it removed. New rules naming another interface are another engine's
 * (an engine started meanwhile may share Docker's chains): they, their chains and the jumps to those
 * chains stay.
 */
export function undoSince(before: NetworkSnapshot, owner: string): string[] {
  const removed = networkChanges(before).filter((change) => change.startsWith('/proc'));
  for (const [table, now] of iptablesSave()) {
    const old = before.iptables.get(table);
    const fresh = [...now.rules].filter((rule) => !old?.rules.has(rule));
    const chainOf = (rule: string): string => rule.split(' ')[1]!;
    const foreign = fresh.filter((rule) => interfacesOf(rule).some((name) => name !== owner));
    const shared = new Set(foreign.flatMap((rule) => [chainOf(rule), targetOf(rule)]).filter((chain): chain is string => !!chain));
    const newChains = [...now.chains].filter((chain) => !old?.chains.has(chain) && !shared.has(chain));
    const ours = fresh.filter((rule) => !foreign.includes(rule) &&
      (interfacesOf(rule).includes(owner) || newChains.includes(chainOf(rule)) || newChains.includes(targetOf(rule) ?? '')));
    for (const rule of ours.reverse()) {
      // iptables-save quotes arguments with spaces; `-D` takes the same words.
      const words = rule.slice(3).match(/"[^"]*"|\S+/g)!.map((word) => word.replace(/^"|"$/g, ''));
      execFileSync(IPTABLES, ['-w', '-t', table, '-D', ...words]);
      removed.push(`iptables -t ${table}: ${rule}`);
    }
    for (const chain of newChains) {
      execFileSync(IPTABLES, ['-w', '-t', table, '-F', chain]);
      execFileSync(IPTABLES, ['-w', '-t', table, '-X', chain]);
      removed.push(`iptables -t ${table}: chain ${chain}`);
    }
  }
  removed.push(...sweepDockerChains());
  // iptables-nft makes `ip filter`, `ip nat`… tables on first use; one that holds no rule (ours,
  // or left empty by an overlapping run) is removed with the rest: iptables makes it again on use.
  for (const table of nftTables()) {
    if (!/^ip6? (filter|nat|mangle|raw|security)$/.test(table)) continue;
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

/**
 * Docker's shared chains (DOCKER, DOCKER-ISOLATION-STAGE-*, DOCKER-USER) once no rule names an
 * interface any more, i.e. no dockerd's bridge uses them: two benchmark runs that overlapped each
 * see them in the other's snapshot, so neither run's diff would ever remove them.
 */
export function sweepDockerChains(): string[] {
  const tables = iptablesSave();
  const all = [...tables.values()].flatMap((t) => [...t.rules]);
  if (all.some((rule) => interfacesOf(rule).length > 0)) return [];
  const removed: string[] = [];
  for (const [table, now] of tables) {
    const docker = [...now.chains].filter((chain) => chain.startsWith('DOCKER'));
    if (docker.length === 0) continue;
    for (const rule of [...now.rules].reverse()) {
      if (!docker.includes(rule.split(' ')[1]!) && !docker.includes(targetOf(rule) ?? '')) continue;
      const words = rule.slice(3).match(/"[^"]*"|\S+/g)!.map((word) => word.replace(/^"|"$/g, ''));
      execFileSync(IPTABLES, ['-w', '-t', table, '-D', ...words]);
      removed.push(`iptables -t ${table}: ${rule}`);
    }
    for (const chain of docker) {
      execFileSync(IPTABLES, ['-w', '-t', table, '-X', chain]);
      removed.push(`iptables -t ${table}: chain ${chain}`);
    }
  }
  return removed;
}
