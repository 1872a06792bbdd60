import test from 'ava';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { applyLayer } from '../../guest/containerd/diff/apply-layer.js';
import { NGINX_INDEX_HTML, nginxLayer } from '../fixtures/nginx-rootfs.js';

const run = promisify(execFile);

test('the nginx fixture layer applies and serves its index page on port 80 (own netns, pid and mount namespaces)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-nginx-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const root = join(dir, 'rootfs');
  await mkdir(root);
  const result = await applyLayer(createReadStream(await nginxLayer()), root, { mode: 'native' });
  t.is(result.compression, 'gzip');
  t.is(await readFile(join(root, 'var/www/html/index.html'), 'utf8'), NGINX_INDEX_HTML);

  // nginx in the foreground as the image's Cmd says; bash's /dev/tcp fetches the page over the
  // namespace's own loopback. Everything dies with the pid namespace when the script ends.
  const script = [
    'set -e',
    'ip link set lo up',
    'mount -t proc proc "$1/proc"',
    'chroot "$1" /bin/bash -c \'',
    '  nginx -g "daemon off;" & pid=$!',
    '  for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/80) 2>/dev/null && break; sleep 0.1; done',
    '  exec 3<>/dev/tcp/127.0.0.1/80',
    '  printf "GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n" >&3',
    '  cat <&3',
    '  kill -QUIT $pid; wait $pid || true',
    // Through a real pipe: nginx logs to /dev/stderr, which cannot be reopened when it is a socket
    // (Node's child stdio are socketpairs).
    "' 2>&1 | cat",
  ].join('\n');
  const { stdout } = await run('unshare', ['--net', '--mount', '--pid', '--fork', 'bash', '-c', script, 'nginx-test', root], { timeout: 60_000 });
  t.regex(stdout, /HTTP\/1\.1 200 OK\r\n/);
  t.true(stdout.includes(`\r\n\r\n${NGINX_INDEX_HTML}`));
});
