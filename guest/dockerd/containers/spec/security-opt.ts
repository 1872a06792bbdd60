/**
 * HostConfig.SecurityOpt: "no-new-privileges[:true|=true]", "seccomp=unconfined",
 * "seccomp=<profile JSON>" (the CLI sends the file's content), "apparmor=…" and "label=…"
 * (accepted, nothing to apply: the guest has neither AppArmor nor SELinux). Docker's wording.
 */
import { TsdError } from '../../../api/errors.js';

export type SeccompChoice = { kind: 'default' } | { kind: 'unconfined' } | { kind: 'profile'; json: string };

export interface SecurityOptions {
  noNewPrivileges: boolean;
  seccomp: SeccompChoice;
}

export function parseSecurityOpts(opts: readonly string[]): SecurityOptions {
  const result: SecurityOptions = { noNewPrivileges: false, seccomp: { kind: 'default' } };
  opts.forEach((opt) => {
    if (opt === 'no-new-privileges') {
      result.noNewPrivileges = true;
      return;
    }
    // Docker accepts both separators; the first one splits key from value.
    const at = opt.search(/[=:]/);
    if (at < 0) throw new TsdError('invalid-argument', `invalid --security-opt 1: "${opt}"`);
    const key = opt.slice(0, at);
    const value = opt.slice(at + 1);
    switch (key) {
      case 'no-new-privileges':
        if (value !== 'true' && value !== 'false') throw new TsdError('invalid-argument', `invalid --security-opt 2: "${opt}"`);
        result.noNewPrivileges = value === 'true';
        return;
      case 'seccomp':
        result.seccomp = value === 'unconfined' ? { kind: 'unconfined' } : { kind: 'profile', json: value };
        return;
      case 'apparmor':
      case 'label':
      case 'systempaths':
        return;
      default:
        throw new TsdError('invalid-argument', `invalid --security-opt 2: "${opt}"`);
    }
  });
  return result;
}
