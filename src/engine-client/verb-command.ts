/**
 * Base of the docker verbs (`tsd run|ps|logs|exec|start|stop|rm|images|pull|inspect`): docker's
 * exit codes instead of tsd's table — 125 when the engine or the CLI fails (bad flags included),
 * 126 when the container's command cannot be invoked, 127 when it is not found, otherwise the
 * container's own exit code (ExitStatus).
 */
import { Command } from '@oclif/core';
import { asTsdError } from '../../guest/api/errors.js';
import type { StartUi } from '../machine/start.js';
import { connectEngine } from './engine-target.js';
import type { EngineClient } from './engine-client.js';

export const ENGINE_FAILED = 125;
export const CANNOT_INVOKE = 126;
export const NOT_FOUND_COMMAND = 127;

/** Ends the verb with an exit code and, when given, a message on stderr. */
export class ExitStatus extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
    this.name = 'ExitStatus';
  }
}

export abstract class VerbCommand extends Command {
  static override enableJsonFlag = false;

  protected readonly ui: StartUi = {
    info: (line) => process.stderr.write(`${line}\n`),
    warn: (line) => process.stderr.write(`warning: ${line}\n`),
  };

  protected async engine(): Promise<EngineClient> {
    return (await connectEngine(this.ui)).client;
  }

  protected override async catch(err: Error & { code?: unknown; oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof ExitStatus) {
      if (err.message !== '') process.stderr.write(`tsd: ${err.message}\n`);
      return this.exit(err.code);
    }
    if (err.oclif !== undefined) {
      // this.exit() and --help pass through; flag errors get docker's 125
      if (err.oclif.exit === 0 || err.code === 'EEXIT') return super.catch(err);
      process.stderr.write(`tsd: ${err.message}\nSee 'tsd ${this.id ?? ''} --help'.\n`);
      return this.exit(ENGINE_FAILED);
    }
    process.stderr.write(`tsd: ${asTsdError(err).message}\n`);
    return this.exit(ENGINE_FAILED);
  }
}
