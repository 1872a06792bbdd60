/** The shim's log: lines on stderr, which the server's spawner points at its own log file. */
let debugEnabled = false;

export function enableDebug(): void {
  debugEnabled = true;
}

export function log(level: 'info' | 'warn' | 'error' | 'debug', message: string, fields: Record<string, unknown> = {}): void {
  if (level === 'debug' && !debugEnabled) return;
  const extra = Object.entries(fields).map(([key, value]) => ` ${key}=${JSON.stringify(value)}`).join('');
  process.stderr.write(`time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(message)}${extra}\n`);
}
