/**
 * Debian packages for one architecture, through apt with a private state in the cache:
 * its own package lists (so arm64 lists can be fetched on an amd64 host, as DESIGN.md describes),
 * no package cache file and an empty dpkg status — the host's apt state is never touched.
 * Downloads (`apt-get download`) and extractions (`dpkg-deb -x`) happen once per version.
 */
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { produceOnce, tempPathFor } from './cache.js';
import { run } from './run.js';

export class AptSource {
  private readonly stateDir: string;
  private readonly debDir: string;

  constructor(cacheDir: string, readonly architecture: string) {
    this.stateDir = join(cacheDir, 'apt', architecture);
    this.debDir = join(cacheDir, 'debs', architecture);
  }

  private options(lists = join(this.stateDir, 'lists')): string[] {
    return [
      '-q',
      `-oAPT::Architecture=${this.architecture}`,
      `-oAPT::Architectures=${this.architecture}`,
      `-oDir::State::Lists=${lists}`,
      `-oDir::State::status=${join(this.stateDir, 'status')}`,
      '-oDir::Cache::pkgcache=',
      '-oDir::Cache::srcpkgcache=',
      // downloads go to the cache owned by root; the _apt sandbox user could not write there
      '-oAPT::Sandbox::User=root',
    ];
  }

  /** Fetches the package lists once (`apt-get update` into a private directory). */
  async ensureLists(onProgress?: (line: string) => void): Promise<void> {
    const lists = join(this.stateDir, 'lists');
    if (existsSync(lists)) return;
    await mkdir(this.stateDir, { recursive: true });
    await writeFile(join(this.stateDir, 'status'), '');
    onProgress?.(`apt: fetching package lists for ${this.architecture}`);
    await produceOnce(lists, async (tmp) => {
      await mkdir(join(tmp, 'partial'), { recursive: true });
      await run('apt-get', [...this.options(tmp), 'update']);
    });
  }

  /**
   * What `apt-cache show NAME` and `apt-cache policy NAMES…` say, remembered per package lists
   * (they are fetched once), so that a cache hit in the builder does not run apt-cache (~1 s).
   */
  async facts(showName: string, policyNames: string[]): Promise<{ show: string; policy: string }> {
    const lists = await stat(join(this.stateDir, 'lists'));
    const key = createHash('sha256').update(JSON.stringify([lists.ino, lists.mtimeMs, showName, policyNames])).digest('hex');
    const file = join(this.stateDir, 'facts', `${key}.json`);
    const cached = await readFile(file, 'utf8').then((text) => JSON.parse(text) as { show: string; policy: string }).catch(() => undefined);
    if (cached !== undefined) return cached;
    const facts = { show: await this.show(showName), policy: await this.policy(policyNames) };
    await mkdir(dirname(file), { recursive: true });
    const tmp = tempPathFor(file);
    await writeFile(tmp, JSON.stringify(facts));
    await rename(tmp, file);
    return facts;
  }

  /** `apt-cache show` of the candidate version of one package. */
  async show(name: string): Promise<string> {
    return run('apt-cache', [...this.options(), 'show', '--no-all-versions', name]);
  }

  /** `apt-cache policy` of several packages (parse with parseAptPolicy). */
  async policy(names: string[]): Promise<string> {
    return run('apt-cache', [...this.options(), 'policy', ...names]);
  }

  /** The .deb of an exact version, downloaded into the cache once. */
  async download(name: string, version: string, onProgress?: (line: string) => void): Promise<string> {
    const target = join(this.debDir, `${name}_${version.replace(/:/g, '%3a')}.deb`);
    if (existsSync(target)) return target;
    onProgress?.(`apt: downloading ${name} ${version} (${this.architecture})`);
    await mkdir(this.debDir, { recursive: true });
    const tmp = tempPathFor(target);
    try {
      await mkdir(tmp);
      await run('apt-get', [...this.options(), 'download', `${name}=${version}`], { cwd: tmp });
      const debs = (await readdir(tmp)).filter((f) => f.endsWith('.deb'));
      if (debs.length !== 1) throw new TsdError('internal', `apt-get download ${name}=${version} left ${debs.length} .deb files`);
      await rename(join(tmp, debs[0]!), target);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return target;
  }

  /**
   * The package's files, extracted with dpkg-deb into the cache once; returns the directory.
   * `prepare` runs on the fresh extraction before it is published (e.g. depmod for a kernel).
   */
  async extract(
    name: string,
    version: string,
    onProgress?: (line: string) => void,
    prepare?: (dir: string) => Promise<void>,
  ): Promise<string> {
    const deb = await this.download(name, version, onProgress);
    const target = deb.replace(/\.deb$/, '');
    if (existsSync(target)) return target;
    await produceOnce(target, async (tmp) => {
      await mkdir(tmp, { recursive: true });
      await run('dpkg-deb', ['-x', deb, tmp]);
      await prepare?.(tmp);
    });
    return target;
  }
}
