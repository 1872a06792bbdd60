/**
 * grpc-js service definitions straight from a protobufjs Service, with the message conventions
 * @grpc/proto-loader would give (camelCase fields, int64 as JS numbers, enums as their names,
 * defaults filled in, oneofs named). proto-loader itself is not used: besides the codecs it keeps a
 * reflection descriptor of every message and the encoded descriptors of every file for each
 * method, several MiB that a daemon holds for its whole life and never reads.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';

/** How decoded messages become plain objects (proto-loader's options as this project used them). */
export const OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true };

/** The definition of one service, e.g. "containerd.services.version.v1.Version". */
export function serviceDefinition(root: protobuf.Root, fullName: string): ServiceDefinition {
  const service = root.lookupService(fullName);
  const definition: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType as protobuf.Type;
    const response = method.resolvedResponseType as protobuf.Type;
    definition[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      // Handlers may be keyed by the method's name ("Version") or its camelCase ("version").
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return definition as ServiceDefinition;
}

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value)) throw new TypeError(`cannot encode an array as ${type.fullName}`);
    return Buffer.from(type.encode(type.fromObject(value)).finish());
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), OBJECT_OPTIONS);
}
