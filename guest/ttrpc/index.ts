/** guest/ttrpc: containerd's ttrpc protocol (framing, unary client and server, typed calls). */
export { TtrpcClient, type CallOptions } from './client.js';
export { TtrpcServer, type CallContext, type ServiceHandlers, type UnaryHandler } from './server.js';
export { GrpcCode, TtrpcError, toWireStatus, fromWireStatus, type WireStatus } from './status.js';
export { ServiceClient, serviceHandlers, loadProtos, encodeMessage, decodeMessage, namespaceOf, TO_OBJECT, type TypedHandler } from './proto-service.js';
export { encodeFrame, FrameDecoder, MessageType, Flags, HEADER_LENGTH, MAX_MESSAGE_LENGTH, type Frame, type Decoded } from './frame.js';
export type { KeyValue } from './wire-messages.js';
