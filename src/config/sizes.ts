/**
 * Sizes in the machine file: a bare number is in the key's own unit (MiB for memory, GiB for
 * disk); a string carries a binary unit, as Lima and `docker run --memory` accept them:
 * "4GiB", "4G", "512MiB", "1.5GiB", "1TiB". Decimal units ("4GB") are refused as ambiguous.
 */
export type SizeUnit = 'MiB' | 'GiB';

const MIB_PER: Record<string, number> = {
  kib: 1 / 1024,
  k: 1 / 1024,
  mib: 1,
  m: 1,
  gib: 1024,
  g: 1024,
  tib: 1024 * 1024,
  t: 1024 * 1024,
};

const DECIMAL_TO_BINARY: Record<string, string> = { kb: 'KiB', mb: 'MiB', gb: 'GiB', tb: 'TiB' };

export type SizeResult = { ok: true; value: number } | { ok: false; problem: string };

/** Parses a size into a whole number of `unit`s. */
export function parseSize(input: number | string, unit: SizeUnit): SizeResult {
  const example = unit === 'MiB' ? '2048, "2048MiB" or "2GiB"' : '60, "60GiB" or "1TiB"';
  const expected = `expected a size such as ${example} (a bare number is in ${unit})`;
  if (typeof input === 'number') {
    return Number.isInteger(input) && input >= 0
      ? { ok: true, value: input }
      : { ok: false, problem: `${expected}, found the number ${input}` };
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(input);
  if (!match) return { ok: false, problem: `${expected}, found the string ${JSON.stringify(input)}` };
  const amount = Number(match[1]);
  const suffix = match[2]!.toLowerCase();
  if (suffix === '') return parseSize(amount, unit);
  const binary = DECIMAL_TO_BINARY[suffix];
  if (binary) {
    return {
      ok: false,
      problem: `"${input}" uses a decimal unit; write ${JSON.stringify(match[1] + binary)} (units: MiB, GiB, TiB)`,
    };
  }
  const mibPer = MIB_PER[suffix];
  if (mibPer === undefined) {
    return { ok: false, problem: `unknown unit "${match[2]}" in ${JSON.stringify(input)}; valid units: MiB, GiB, TiB (or M, G, T)` };
  }
  const value = (amount * mibPer) / (unit === 'GiB' ? 1024 : 1);
  // Rounding guards against float noise such as 1.1 * 1024; a real fraction is refused.
  const whole = Math.round(value);
  if (Math.abs(value - whole) > 1e-9) {
    return { ok: false, problem: `"${input}" is not a whole number of ${unit}` };
  }
  return { ok: true, value: whole };
}

/** The shortest exact way to write a size: 2048 MiB → "2GiB", 1536 MiB → "1536MiB". */
export function formatSize(value: number, unit: SizeUnit): string {
  const mib = unit === 'GiB' ? value * 1024 : value;
  if (mib !== 0 && mib % (1024 * 1024) === 0) return `${mib / (1024 * 1024)}TiB`;
  if (mib !== 0 && mib % 1024 === 0) return `${mib / 1024}GiB`;
  return `${mib}MiB`;
}
