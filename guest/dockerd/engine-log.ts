/**
 * The engine's log: leveled lines on stderr (the guest init and the host-mode launcher keep them
 * in dockerd.log). `--log-level` / `--debug` choose what is written; debug shows every request.
 */
import { LOG_LEVELS, type LogLevel } from './config/engine-config.js';

export interface EngineLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  enabled(level: LogLevel): boolean;
}

/** `level` may be a function: the level is then read at each line (a SIGHUP reload changes it). */
export function createEngineLog(level: LogLevel | (() => LogLevel), write: (line: string) => void = (line) => process.stderr.write(line)): EngineLog {
  const current = typeof level === 'function' ? level : () => level;
  const enabled = (at: LogLevel): boolean => LOG_LEVELS.indexOf(at) >= LOG_LEVELS.indexOf(current());
  const emit = (at: LogLevel, message: string): void => {
    if (enabled(at)) write(`${new Date().toISOString()} ${at} dockerd: ${message}\n`);
  };
  return {
    debug: (message) => emit('debug', message),
    info: (message) => emit('info', message),
    warn: (message) => emit('warn', message),
    error: (message) => emit('error', message),
    enabled,
  };
}
