/** `spec [--bundle DIR] [--rootless]`: writes a default config.json (never overwrites). */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TsdError } from '../../api/errors.js';
import type { Verb } from '../cli/context.js';
import { defaultSpec } from '../spec/default-spec.js';

export const verb: Verb = {
  name: 'spec',
  usage: 'tsd-runc spec [command options]',
  flags: [
    { name: 'bundle', type: 'string', aliases: ['b'], usage: 'bundle directory to write config.json into' },
    { name: 'rootless', type: 'bool', usage: 'write a configuration for running without root (user namespace, no cgroup limits)' },
  ],
  async run(_ctx, flags) {
    const file = join((flags.bundle as string | undefined) ?? '.', 'config.json');
    if (existsSync(file)) throw new TsdError('already-exists', 'File config.json exists. Remove it first.');
    writeFileSync(file, `${JSON.stringify(defaultSpec({ rootless: Boolean(flags.rootless) }), null, '\t')}\n`);
    return 0;
  },
};
