/**
 * The boot as ordered, named steps (after Apple's vminitd). Each step is timed and logged; a failing
 * fatal step stops the boot, a failing non-fatal one is logged and the boot goes on.
 */
import { asTsdError } from '../api/errors.js';
import type { LogLine } from './console-log.js';

export interface Step<Context> {
  name: string;
  /** Fatal steps stop the boot when they fail (nothing after them could work). */
  fatal: boolean;
  run(context: Context): Promise<void>;
}

export type StepOutcome =
  | { name: string; state: 'done'; ms: number }
  | { name: string; state: 'failed'; ms: number; fatal: boolean; message: string };

export interface BootReport {
  outcomes: StepOutcome[];
  /** False when a fatal step failed; the steps after it did not run. */
  completed: boolean;
}

export async function runSteps<Context>(
  steps: Step<Context>[],
  context: Context,
  log: LogLine,
  now: () => number = () => performance.now(),
): Promise<BootReport> {
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    const start = now();
    try {
      await step.run(context);
      const ms = Math.round(now() - start);
      outcomes.push({ name: step.name, state: 'done', ms });
      log(`step ${step.name}: done in ${ms} ms`);
    } catch (error) {
      const ms = Math.round(now() - start);
      const message = asTsdError(error).message;
      outcomes.push({ name: step.name, state: 'failed', ms, fatal: step.fatal, message });
      log(`step ${step.name}: FAILED after ${ms} ms${step.fatal ? ' (fatal)' : ''}: ${message}`);
      if (step.fatal) return { outcomes, completed: false };
    }
  }
  return { outcomes, completed: true };
}
