/**
 * Entry of the guest SSH server (bundled to dist/guest/sshd.mjs), supervised by the init:
 *   node /opt/tsd/sshd.mjs --host-key FILE --authorized-keys FILE [--env-file FILE] [--listen ADDR] [--port N]
 * The env file is JSON ({"KEY": "value"}), written by the init from GuestConfig.env.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GUEST_SSH_PORT } from '../api/guest-layout.js';
import { parseAuthorizedKeys } from './authorized-keys.js';
import { createSshServer } from './ssh-server.js';

const { values } = parseArgs({
  options: {
    'host-key': { type: 'string' },
    'authorized-keys': { type: 'string' },
    'env-file': { type: 'string' },
    listen: { type: 'string', default: '0.0.0.0' },
    port: { type: 'string', default: String(GUEST_SSH_PORT) },
  },
  strict: true,
});

const log = (line: string) => console.log(`sshd: ${line}`);
if (!values['host-key'] || !values['authorized-keys']) {
  console.error('sshd: --host-key and --authorized-keys are required');
  process.exit(2);
}
const envFile = values['env-file'];
const env = envFile && existsSync(envFile) ? (JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>) : {};
const server = createSshServer({
  hostKey: readFileSync(values['host-key']),
  authorizedKeys: parseAuthorizedKeys(readFileSync(values['authorized-keys'], 'utf8').split('\n')),
  env,
  log,
});
server.listen(Number(values.port), values.listen, () => log(`listening on ${values.listen}:${values.port}`));
process.on('SIGTERM', () => {
  log('SIGTERM, closing');
  server.close();
  process.exit(0);
});
