/**
 * The contexts tsd writes, read back by the real docker CLI — every docker CLI installed (the
 * CLI 28 in /usr/local/bin here, Debian's 20.10 in /usr/bin on CI) — each test in its own
 * temporary DOCKER_CONFIG (the real ~/.docker is never touched). No daemon is needed.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureDockerContext, removeDockerContext } from '../../src/docker-context/docker-context.js';

const run = promisify(execFile);
const installed = ['/usr/local/bin/docker', '/usr/bin/docker'].filter((cli) => existsSync(cli));
/** With none installed, plain `docker` makes every test fail with ENOENT rather than pass vacuously. */
const CLIS = installed.length > 0 ? installed : ['docker'];

interface Context {
  Name: string;
  Metadata: { Description: string };
  Endpoints: { docker: { Host: string } };
}

async function tempConfig(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tsd-docker-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function cli(binary: string) {
  async function docker(configDir: string, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: configDir };
    delete env['DOCKER_HOST'];
    delete env['DOCKER_CONTEXT'];
    try {
      const { stdout, stderr } = await run(binary, args, { env });
      return { stdout, stderr, code: 0 };
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; code?: number | string };
      if (typeof failed.code !== 'number') throw error; // the CLI itself is missing: fail loudly
      return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', code: failed.code };
    }
  }
  async function inspect(configDir: string, context: string): Promise<Context> {
    const { stdout, stderr, code } = await docker(configDir, 'context', 'inspect', context);
    if (code !== 0) throw new Error(`docker context inspect failed: ${stderr}`);
    return (JSON.parse(stdout) as Context[])[0]!;
  }
  /** Name → endpoint, and which one is current (`context show` is missing from the 20.10 CLI). */
  async function list(configDir: string): Promise<{ names: string[]; current: string; endpoints: Map<string, string> }> {
    const { stdout } = await docker(configDir, 'context', 'ls', '--format', '{{.Name}} {{.Current}} {{.DockerEndpoint}}');
    const rows = stdout.trim().split('\n').map((line) => line.split(' '));
    return {
      names: rows.map(([name]) => name!).sort(),
      current: rows.find(([, current]) => current === 'true')?.[0] ?? '',
      endpoints: new Map(rows.map(([name, , endpoint]) => [name!, endpoint!])),
    };
  }
  return { docker, inspect, list };
}

for (const binary of CLIS) {
  const { docker, inspect, list } = cli(binary);
  const title = (text: string) => `${text} (${binary})`;

  test(title('a created context is seen by docker, pointing at the socket, without becoming current'), async (t) => {
    const config = await tempConfig(t);
    await ensureDockerContext('dev', '/run/tsd-test/dev/docker.sock', { configDir: config });
    const context = await inspect(config, 'tsd-dev');
    t.is(context.Name, 'tsd-dev');
    t.is(context.Metadata.Description, 'tsd machine dev');
    t.is(context.Endpoints.docker.Host, 'unix:///run/tsd-test/dev/docker.sock');
    t.is((await list(config)).current, 'default');
    t.false(existsSync(path.join(config, 'config.json')));
    t.is((await list(config)).endpoints.get('tsd-dev'), 'unix:///run/tsd-test/dev/docker.sock');
  });

  test(title('docker commands with the context go to the machine socket'), async (t) => {
    const config = await tempConfig(t);
    const socket = path.join(config, 'no-daemon-here.sock');
    await ensureDockerContext('dev', socket, { configDir: config });
    const result = await docker(config, '--context', 'tsd-dev', 'version', '--format', '{{.Server.Version}}');
    t.not(result.code, 0);
    t.true(result.stderr.includes(`unix://${socket}`), result.stderr);
  });

  test(title('ensuring again updates the endpoint in place'), async (t) => {
    const config = await tempConfig(t);
    await ensureDockerContext('dev', '/old/docker.sock', { configDir: config });
    await ensureDockerContext('dev', '/new/docker.sock', { configDir: config });
    t.is((await inspect(config, 'tsd-dev')).Endpoints.docker.Host, 'unix:///new/docker.sock');
    t.deepEqual((await list(config)).names, ['default', 'tsd-dev']);
  });

  test(title('setCurrent makes it current and keeps the rest of config.json'), async (t) => {
    const config = await tempConfig(t);
    const original = { auths: { 'registry.example': { auth: 'dXNlcjpwdw==' } }, credsStore: 'pass', psFormat: 'table {{.ID}}' };
    await writeFile(path.join(config, 'config.json'), JSON.stringify(original));
    await ensureDockerContext('dev', '/s/docker.sock', { configDir: config });
    t.is((await list(config)).current, 'default');
    await ensureDockerContext('dev', '/s/docker.sock', { configDir: config, setCurrent: true });
    t.is((await list(config)).current, 'tsd-dev');
    t.deepEqual(JSON.parse(await readFile(path.join(config, 'config.json'), 'utf8')), { ...original, currentContext: 'tsd-dev' });
  });

  test(title('another current context is left alone unless setCurrent'), async (t) => {
    const config = await tempConfig(t);
    t.is((await docker(config, 'context', 'create', 'mine', '--docker', 'host=unix:///mine.sock')).code, 0);
    t.is((await docker(config, 'context', 'use', 'mine')).code, 0);
    await ensureDockerContext('dev', '/s/docker.sock', { configDir: config });
    t.is((await list(config)).current, 'mine');
    await removeDockerContext('dev', { configDir: config });
    t.is((await list(config)).current, 'mine');
    t.is((await inspect(config, 'mine')).Endpoints.docker.Host, 'unix:///mine.sock');
  });

  test(title('removal deletes the context and resets current when it was ours'), async (t) => {
    const config = await tempConfig(t);
    await ensureDockerContext('dev', '/s/docker.sock', { configDir: config, setCurrent: true });
    await ensureDockerContext('other', '/o/docker.sock', { configDir: config });
    await removeDockerContext('dev', { configDir: config });
    t.is((await list(config)).current, 'default');
    t.deepEqual((await list(config)).names, ['default', 'tsd-other']);
    const gone = await docker(config, 'context', 'inspect', 'tsd-dev');
    t.not(gone.code, 0);
    t.regex(gone.stderr, /"tsd-dev"(: context not found| does not exist)/);
    await t.notThrowsAsync(removeDockerContext('dev', { configDir: config }), 'removing twice is fine');
  });

  test(title('a context created by the docker CLI is updated by tsd'), async (t) => {
    const config = await tempConfig(t);
    const created = await docker(config, 'context', 'create', 'tsd-dev', '--docker', 'host=unix:///cli.sock');
    t.is(created.code, 0, created.stderr);
    await ensureDockerContext('dev', '/tsd/docker.sock', { configDir: config });
    t.is((await inspect(config, 'tsd-dev')).Endpoints.docker.Host, 'unix:///tsd/docker.sock');
  });

  test(title('a symlinked config.json is written through the link; a corrupt one is refused untouched'), async (t) => {
    const config = await tempConfig(t);
    const dotfiles = path.join(config, 'dotfiles');
    await mkdir(dotfiles);
    await writeFile(path.join(dotfiles, 'docker.json'), '{"auths":{}}');
    await symlink(path.join(dotfiles, 'docker.json'), path.join(config, 'config.json'));
    await ensureDockerContext('dev', '/s/docker.sock', { configDir: config, setCurrent: true });
    t.deepEqual(JSON.parse(await readFile(path.join(dotfiles, 'docker.json'), 'utf8')), { auths: {}, currentContext: 'tsd-dev' });
    t.is((await list(config)).current, 'tsd-dev');

    const broken = await tempConfig(t);
    await writeFile(path.join(broken, 'config.json'), '{"auths": ');
    const error = await t.throwsAsync(ensureDockerContext('dev', '/s/docker.sock', { configDir: broken, setCurrent: true }));
    t.like(error, { code: 'invalid-argument', message: `${path.join(broken, 'config.json')} is not valid JSON; fix or remove it, then try again` });
    t.is(await readFile(path.join(broken, 'config.json'), 'utf8'), '{"auths": ');
  });
}
