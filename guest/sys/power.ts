/** sync(2) and reboot(2): the last two calls of a clean shutdown. */
import { check, libc } from './libc.js';

export const RB_POWER_OFF = 0x4321fedc;
export const RB_AUTOBOOT = 0x01234567;
export const RB_HALT_SYSTEM = 0xcdef0123;

export type PowerAction = 'poweroff' | 'reboot' | 'halt';

const COMMAND: Record<PowerAction, number> = { poweroff: RB_POWER_OFF, reboot: RB_AUTOBOOT, halt: RB_HALT_SYSTEM };

export function syncDisks(): void {
  libc().sync();
}

/** Does not return on success. */
export function rebootSystem(action: PowerAction): void {
  // The halt command does not fit in a signed int; reboot(2) takes it as an int.
  check(`reboot(${action})`, libc().reboot(COMMAND[action] | 0));
}
