/** Small statistics and number formatting shared by the benchmarks. */

const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b);

/** The value at quantile q (0..1) by nearest rank; 0 for no values. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const list = sorted(values);
  return list[Math.min(list.length - 1, Math.max(0, Math.round(q * (list.length - 1))))]!;
}

export const median = (values: number[]): number => quantile(values, 0.5);

/** "median (p25–p75)" or with min–max, formatted with `digits`. */
export function spread(values: number[], digits = 0, range: 'iqr' | 'minmax' = 'iqr'): string {
  const [low, high] = range === 'iqr' ? [quantile(values, 0.25), quantile(values, 0.75)] : [sorted(values)[0] ?? 0, sorted(values).at(-1) ?? 0];
  return `${median(values).toFixed(digits)} (${low.toFixed(digits)}–${high.toFixed(digits)})`;
}

/** KiB as MiB with one decimal. */
export const mib = (kib: number): string => (kib / 1024).toFixed(1);

/** ours / theirs as "1.23×". */
export const ratio = (ours: number, theirs: number): string => (theirs === 0 ? 'n/a' : `${(ours / theirs).toFixed(2)}×`);

export const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
