// Pure rendering of the docker verbs: tables, durations, sizes, ports, --since, inspect templates.
import test from 'ava';
import { formatPorts, humanDuration, humanSize, table, truncateCommand } from '../../src/engine-client/verbs/format.js';
import { renderImages } from '../../src/engine-client/verbs/images.js';
import { renderInspect, renderTemplate } from '../../src/engine-client/verbs/inspect.js';
import { logTime } from '../../src/engine-client/verbs/logs.js';
import { renderContainers } from '../../src/engine-client/verbs/ps.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const container = {
  Id: 'a'.repeat(64),
  Names: ['/web'],
  Image: 'nginx',
  Command: 'nginx -g daemon off;',
  Created: NOW / 1000 - 120,
  State: 'running',
  Status: 'Up 2 minutes',
  Ports: [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { PrivatePort: 443, Type: 'tcp' }],
  Labels: { a: 'b' },
  NetworkSettings: { Networks: { bridge: {} } },
};

test('ps: docker\'s table, -q and --format json', (t) => {
  t.is(
    renderContainers([container], { all: false, quiet: false, format: 'table', noTrunc: false }, NOW),
    'CONTAINER ID   IMAGE   COMMAND                  CREATED         STATUS         PORTS                             NAMES\n' +
      'aaaaaaaaaaaa   nginx   "nginx -g daemon off;"   2 minutes ago   Up 2 minutes   127.0.0.1:8080->80/tcp, 443/tcp   web\n',
  );
  t.is(renderContainers([container], { all: false, quiet: true, format: 'table', noTrunc: false }, NOW), 'aaaaaaaaaaaa\n');
  const json = JSON.parse(renderContainers([container], { all: false, quiet: false, format: 'json', noTrunc: false }, NOW)) as Record<string, string>;
  t.like(json, { ID: 'aaaaaaaaaaaa', Names: 'web', Labels: 'a=b', Networks: 'bridge', RunningFor: '2 minutes ago', CreatedAt: '2026-01-01 11:58:00 +0000 UTC' });
});

test('images: one row per tag, dangling as <none>', (t) => {
  const out = renderImages(
    [
      { Id: `sha256:${'b'.repeat(64)}`, RepoTags: ['busybox:latest', 'localhost:5000/busybox:1'], RepoDigests: [], Created: NOW / 1000 - 3 * 86400, Size: 4_261_000 },
      { Id: `sha256:${'c'.repeat(64)}`, RepoTags: null, RepoDigests: null, Created: NOW / 1000 - 60, Size: 999 },
    ],
    false,
    NOW,
  );
  t.regex(out, /^<none>\s+<none>\s+cccccccccccc\s+About a minute ago\s+999B$/m);
  t.regex(out, /^busybox\s+latest\s+bbbbbbbbbbbb\s+3 days ago\s+4.26MB$/m);
  t.regex(out, /^localhost:5000\/busybox\s+1\s+/m);
  t.is(renderImages([], true, NOW), '');
});

test('units as Go\'s go-units prints them', (t) => {
  t.is(humanDuration(0), 'Less than a second');
  t.is(humanDuration(59), '59 seconds');
  t.is(humanDuration(3600), 'About an hour');
  t.is(humanDuration(86400 * 3), '3 days');
  t.is(humanDuration(3600 * 30), '30 hours');
  t.is(truncateCommand('nginx -g daemon off; x'), '"nginx -g daemon off…"');
  t.is(humanSize(1_000_000), '1MB');
  t.is(humanSize(187_654_321), '188MB');
  t.is(truncateCommand('short'), '"short"');
  t.is(formatPorts([{ IP: '::', PrivatePort: 53, PublicPort: 5353, Type: 'udp' }]), '[::]:5353->53/udp');
  t.is(table(['A', 'B'], [['x', 'y']]), 'A   B\nx   y\n');
});

test('--since accepts Unix times, durations and RFC 3339', (t) => {
  t.is(logTime('1700000000', NOW), '1700000000');
  t.is(logTime('10m', NOW), String(NOW / 1000 - 600));
  t.is(logTime('1h30m', NOW), String(NOW / 1000 - 5400));
  t.is(logTime('2026-01-01T00:00:00Z', NOW), String(Date.UTC(2026, 0, 1) / 1000));
  t.throws(() => logTime('yesterday', NOW), { message: /invalid time "yesterday"/ });
});

test('inspect: an indented array, json lines, and simple templates', (t) => {
  const object = { State: { Status: 'running', Pid: 7 }, Config: { Labels: { a: 'b' } }, Args: ['x', 'y'] };
  t.is(renderInspect([object], undefined), `${JSON.stringify([object], null, 4)}\n`);
  t.is(renderInspect([object, object], 'json'), `${JSON.stringify(object)}\n${JSON.stringify(object)}\n`);
  t.is(renderTemplate('{{.State.Status}} pid={{ .State.Pid }} {{json .Config.Labels}} {{.Args}} {{.Nope}}', object), 'running pid=7 {"a":"b"} [x y] <no value>');
  t.throws(() => renderTemplate('{{range .Args}}{{end}}', object), { message: /not supported/ });
});
