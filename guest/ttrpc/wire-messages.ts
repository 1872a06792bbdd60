/**
 * The ttrpc envelope messages (ttrpc's request.proto), declared here so the library needs no
 * .proto file at run time. Any is declared locally with the same field numbers as
 * google.protobuf.Any: the bytes on the wire are identical.
 */
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";
package ttrpc;
message Any { string type_url = 1; bytes value = 2; }
message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
message KeyValue { string key = 1; string value = 2; }
message Request {
  string service = 1;
  string method = 2;
  bytes payload = 3;
  int64 timeout_nano = 4;
  repeated KeyValue metadata = 5;
}
message Response { Status status = 1; bytes payload = 2; }
`;

const root = protobuf.parse(PROTO, { keepCase: false }).root;
const RequestType = root.lookupType('ttrpc.Request');
const ResponseType = root.lookupType('ttrpc.Response');

export interface KeyValue {
  key: string;
  value: string;
}

export interface WireRequest {
  service: string;
  method: string;
  payload: Uint8Array;
  /** 0: no deadline. */
  timeoutNano: number;
  metadata: KeyValue[];
}

export interface WireResponse {
  status?: { code: number; message: string };
  payload: Uint8Array;
}

const TO_OBJECT = { longs: Number, defaults: true } as const;

export function encodeRequest(request: WireRequest): Uint8Array {
  return RequestType.encode(RequestType.fromObject(request)).finish();
}

export function decodeRequest(data: Uint8Array): WireRequest {
  return RequestType.toObject(RequestType.decode(data), TO_OBJECT) as WireRequest;
}

export function encodeResponse(response: WireResponse): Uint8Array {
  return ResponseType.encode(ResponseType.fromObject(response)).finish();
}

export function decodeResponse(data: Uint8Array): WireResponse {
  const object = ResponseType.toObject(ResponseType.decode(data), { longs: Number, defaults: false });
  return { status: object['status'] as WireResponse['status'], payload: (object['payload'] as Uint8Array | undefined) ?? new Uint8Array() };
}
