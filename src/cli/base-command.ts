import { Command } from '@oclif/core';
import { asTsdError } from '../../guest/api/errors.js';
import { EXIT_CODES } from './exit-codes.js';

/**
 * Base of every tsd command: `--json` comes from oclif's enableJsonFlag, and every error
 * is mapped to one exit code through EXIT_CODES, with a one-line message (no stack trace).
 */
export abstract class TsdCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own errors (bad flags, --help exits) already carry their exit code.
    if (err.oclif !== undefined) return super.catch(err);
    const error = asTsdError(err);
    const exit = EXIT_CODES[error.code];
    if (this.jsonEnabled()) {
      this.logJson({ error: { code: error.code, message: error.message } });
    } else {
      process.stderr.write(`tsd: ${error.message}\n`);
    }
    this.exit(exit);
  }
}
