/**
 * Typed calls over the byte-level client and server, with messages encoded by protobufjs from a
 * service declared in .proto files. Message objects follow @grpc/proto-loader's conventions as
 * used elsewhere in tsd: camelCase fields, int64 as numbers, enums as names, defaults filled in,
 * Timestamp as {seconds, nanos}, Any as {typeUrl, value}.
 */
import protobuf from 'protobufjs';
import type { CallOptions, TtrpcClient } from './client.js';
import type { CallContext, ServiceHandlers } from './server.js';
import { GrpcCode, TtrpcError } from './status.js';

export const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true };

/** Loads .proto files (imports resolved under includeDir) into a protobufjs root. */
export function loadProtos(includeDir: string, files: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : `${includeDir}/${target}`);
  root.loadSync(files.map((file) => `${includeDir}/${file}`), { keepCase: false });
  camelCaseWellKnownTypes(root);
  return root;
}

/**
 * protobufjs adds google/protobuf/*.proto from bundled JSON that keepCase:false does not touch:
 * Any would keep `type_url`. Rename such fields so every message is camelCase ({typeUrl, value}).
 */
function camelCaseWellKnownTypes(root: protobuf.Root): void {
  const google = root.lookup('google.protobuf');
  if (!(google instanceof protobuf.Namespace)) return;
  for (const nested of google.nestedArray) {
    if (!(nested instanceof protobuf.Type)) continue;
    for (const field of [...nested.fieldsArray]) {
      if (!field.name.includes('_')) continue;
      const camel = field.name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      nested.remove(field);
      nested.add(new protobuf.Field(camel, field.id, field.type, field.repeated ? 'repeated' : undefined));
    }
  }
}

export function encodeMessage(type: protobuf.Type, object: object): Uint8Array {
  return type.encode(type.fromObject(object as Record<string, unknown>)).finish();
}

export function decodeMessage<T>(type: protobuf.Type, data: Uint8Array): T {
  return type.toObject(type.decode(data), TO_OBJECT) as T;
}

/** A client for one service: call(method, request) encodes, sends, decodes. */
export class ServiceClient {
  private readonly service: protobuf.Service;

  constructor(
    private readonly client: TtrpcClient,
    root: protobuf.Root,
    readonly serviceName: string,
  ) {
    this.service = root.lookupService(serviceName);
  }

  async call<Res = Record<string, unknown>>(method: string, request: object, options?: CallOptions): Promise<Res> {
    const definition = this.service.methods[method];
    if (!definition) throw new TtrpcError(GrpcCode.UNIMPLEMENTED, `${this.serviceName} has no method ${method}`);
    const resolved = definition.resolve() as protobuf.Method;
    const payload = encodeMessage(resolved.resolvedRequestType!, request);
    const response = await this.client.call(this.serviceName, method, payload, options);
    return decodeMessage<Res>(resolved.resolvedResponseType!, response);
  }
}

export type TypedHandler = (request: any, context: CallContext) => Promise<object>;

/**
 * Turns an object of typed handlers into byte handlers for TtrpcServer.register(). Methods of the
 * service with no handler are left out, so they answer UNIMPLEMENTED.
 */
export function serviceHandlers(root: protobuf.Root, serviceName: string, implementation: Record<string, TypedHandler>): ServiceHandlers {
  const service = root.lookupService(serviceName);
  const handlers: ServiceHandlers = {};
  for (const [name, method] of Object.entries(service.methods)) {
    const implement = implementation[name];
    if (!implement) continue;
    const resolved = method.resolve() as protobuf.Method;
    const requestType = resolved.resolvedRequestType!;
    const responseType = resolved.resolvedResponseType!;
    handlers[name] = async (payload, context) => encodeMessage(responseType, await implement(decodeMessage(requestType, payload), context));
  }
  return handlers;
}

/** The namespace containerd sends in ttrpc metadata (key "containerd-namespace-ttrpc"). */
export function namespaceOf(context: CallContext): string | undefined {
  return context.metadata.find((entry) => entry.key === 'containerd-namespace-ttrpc')?.value;
}
