/**
 * The power button (QMP system_powerdown from the host): an input device that reports KEY_POWER —
 * the ACPI button on x86_64, gpio-keys on aarch64 virt. The init reads its evdev events.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export const EV_KEY = 1;
export const KEY_POWER = 116;
/** struct input_event on 64-bit kernels: struct timeval (16) + type (2) + code (2) + value (4). */
export const INPUT_EVENT_SIZE = 24;

/**
 * Whether a capabilities bitmap (sysfs `capabilities/key`: hex words, most significant first, each
 * one kernel long of `wordBits` bits) has the bit for `code`.
 */
export function hasKeyCapability(bitmap: string, code: number, wordBits = 64): boolean {
  const words = bitmap.trim().split(/\s+/).reverse();
  const word = words[Math.floor(code / wordBits)];
  if (word === undefined) return false;
  return ((BigInt(`0x${word}`) >> BigInt(code % wordBits)) & 1n) === 1n;
}

/** Key presses (value 1) of `code` in a buffer of whole input_event records. */
export function countKeyPresses(buffer: Buffer, code: number): number {
  let presses = 0;
  for (let offset = 0; offset + INPUT_EVENT_SIZE <= buffer.length; offset += INPUT_EVENT_SIZE) {
    const type = buffer.readUInt16LE(offset + 16);
    const key = buffer.readUInt16LE(offset + 18);
    const value = buffer.readInt32LE(offset + 20);
    if (type === EV_KEY && key === code && value === 1) presses++;
  }
  return presses;
}

/** /dev/input/eventN of every device that can send KEY_POWER. */
export async function findPowerButtons(sysInput = '/sys/class/input'): Promise<string[]> {
  const found: string[] = [];
  for (const name of (await readdir(sysInput).catch(() => [] as string[])).filter((n) => n.startsWith('event')).sort()) {
    const bitmap = await readFile(`${sysInput}/${name}/device/capabilities/key`, 'utf8').catch(() => '');
    if (bitmap && hasKeyCapability(bitmap, KEY_POWER)) found.push(`/dev/input/${name}`);
  }
  return found;
}

/** Calls onPress for each KEY_POWER press on the device. Reads block a libuv pool thread each. */
export function watchPowerButton(device: string, onPress: () => void, onError: (error: Error) => void): void {
  let pending = Buffer.alloc(0);
  const stream = createReadStream(device, { highWaterMark: INPUT_EVENT_SIZE * 16 });
  stream.on('data', (chunk: Buffer | string) => {
    const data = Buffer.concat([pending, Buffer.from(chunk)]);
    const whole = data.length - (data.length % INPUT_EVENT_SIZE);
    pending = data.subarray(whole);
    if (countKeyPresses(data.subarray(0, whole), KEY_POWER) > 0) onPress();
  });
  stream.on('error', onError);
}
