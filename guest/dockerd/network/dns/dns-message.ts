/**
 * The few DNS wire-format operations the embedded server needs (RFC 1035): read the question of a
 * query, build an answer with A records or an error code. Pure; unit-tested.
 */

export interface Question {
  id: number;
  /** lower-case, no trailing dot */
  name: string;
  type: number;
  class: number;
  /** byte offset just past the question */
  end: number;
  recursionDesired: boolean;
}

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const TYPE_PTR = 12;
export const CLASS_IN = 1;
export const RCODE = { ok: 0, formatError: 1, serverFailure: 2, nameError: 3, refused: 5 } as const;

/** The first question of a query, or undefined for anything that is not a one-question query. */
export function readQuestion(packet: Buffer): Question | undefined {
  if (packet.length < 12) return undefined;
  const flags = packet.readUInt16BE(2);
  if (flags & 0x8000 || packet.readUInt16BE(4) !== 1) return undefined; // a response, or not one question
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    if (offset >= packet.length) return undefined;
    const length = packet[offset]!;
    offset += 1;
    if (length === 0) break;
    if (length > 63 || offset + length > packet.length) return undefined; // no compression in questions
    labels.push(packet.subarray(offset, offset + length).toString('latin1'));
    offset += length;
  }
  if (offset + 4 > packet.length) return undefined;
  return {
    id: packet.readUInt16BE(0),
    name: labels.join('.').toLowerCase(),
    type: packet.readUInt16BE(offset),
    class: packet.readUInt16BE(offset + 2),
    end: offset + 4,
    recursionDesired: (flags & 0x0100) !== 0,
  };
}

/** An answer to `query` with the given IPv4 addresses (none: NOERROR/NODATA or the rcode). */
export function buildAnswer(query: Buffer, question: Question, addresses: string[], rcode: number = RCODE.ok, ttl = 600): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(question.id, 0);
  // QR, RD copied, RA (we forward), rcode; not AA: Docker's resolver does not claim authority either
  header.writeUInt16BE(0x8000 | (question.recursionDesired ? 0x0100 : 0) | 0x0080 | (rcode & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const answers = addresses.map((address) => {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    record.writeUInt16BE(TYPE_A, 2);
    record.writeUInt16BE(CLASS_IN, 4);
    record.writeUInt32BE(ttl, 6);
    record.writeUInt16BE(4, 10);
    address.split('.').forEach((part, index) => record.writeUInt8(Number(part), 12 + index));
    return record;
  });
  return Buffer.concat([header, query.subarray(12, question.end), ...answers]);
}

/** A PTR answer (reverse lookup of a container address) naming `target`. */
export function buildPtrAnswer(query: Buffer, question: Question, target: string, ttl = 600): Buffer {
  const header = buildAnswer(query, question, []);
  header.writeUInt16BE(1, 6);
  const rdata = encodeName(target);
  const record = Buffer.alloc(12);
  record.writeUInt16BE(0xc00c, 0);
  record.writeUInt16BE(TYPE_PTR, 2);
  record.writeUInt16BE(CLASS_IN, 4);
  record.writeUInt32BE(ttl, 6);
  record.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([header, record, rdata]);
}

/** "172.18.0.2" for "2.0.18.172.in-addr.arpa", else undefined. */
export function reverseAddress(name: string): string | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name);
  return match ? [match[4], match[3], match[2], match[1]].join('.') : undefined;
}

function encodeName(name: string): Buffer {
  const labels = name.split('.').filter(Boolean).map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')]));
  return Buffer.concat([...labels, Buffer.from([0])]);
}

/** A query for `name`/`type` (tests and the forwarder's health probe). */
export function buildQuery(id: number, name: string, type = TYPE_A): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const labels = name.split('.').filter(Boolean).map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')]));
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(CLASS_IN, 3);
  return Buffer.concat([header, ...labels, tail]);
}

/** The A records and rcode of a response (tests). */
export function readAnswer(packet: Buffer): { id: number; rcode: number; addresses: string[] } {
  const question = readQuestion(Buffer.concat([packet.subarray(0, 2), Buffer.from([packet[2]! & 0x7f, packet[3]!]), packet.subarray(4)]));
  const count = packet.readUInt16BE(6);
  const addresses: string[] = [];
  let offset = question?.end ?? 12;
  for (let i = 0; i < count && offset + 12 <= packet.length; i++) {
    offset += (packet[offset]! & 0xc0) === 0xc0 ? 2 : packet.indexOf(0, offset) - offset + 1;
    const type = packet.readUInt16BE(offset);
    const length = packet.readUInt16BE(offset + 8);
    if (type === TYPE_A && length === 4) addresses.push([...packet.subarray(offset + 10, offset + 14)].join('.'));
    offset += 10 + length;
  }
  return { id: packet.readUInt16BE(0), rcode: packet[3]! & 0xf, addresses };
}
