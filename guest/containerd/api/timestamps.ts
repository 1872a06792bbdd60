/** google.protobuf.Timestamp <-> Date, as proto-loader objects ({seconds, nanos}). */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

export function toTimestamp(date: Date | string): Timestamp {
  const ms = new Date(date).getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

export function fromTimestamp(value: Timestamp | null | undefined): Date | undefined {
  if (!value || (Number(value.seconds) === 0 && value.nanos === 0)) return undefined;
  return new Date(Number(value.seconds) * 1000 + Math.floor(value.nanos / 1_000_000));
}
