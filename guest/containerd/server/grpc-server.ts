/**
 * The gRPC server on a unix socket. Message limits match containerd's (16 MiB each way), so
 * clients that send content in large chunks work unchanged.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { rm } from 'node:fs/promises';
import { TsdError } from '../../api/errors.js';
import { loadApi, type ServiceName } from '../api/load-api.js';
import type { ServiceHandlers } from './handlers.js';

const MAX_MESSAGE = 16 * 1024 * 1024;

export interface RunningServer {
  address: string;
  stop(): Promise<void>;
}

export async function startGrpcServer(address: string, services: Partial<Record<ServiceName, ServiceHandlers>>): Promise<RunningServer> {
  const api = loadApi();
  const server = new Server({ 'grpc.max_receive_message_length': MAX_MESSAGE, 'grpc.max_send_message_length': MAX_MESSAGE });
  for (const [name, handlers] of Object.entries(services) as Array<[ServiceName, ServiceHandlers]>) {
    server.addService(api.service(name), handlers);
  }
  // A socket left by a killed daemon would make bind fail with EADDRINUSE.
  await rm(address, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix:${address}`, ServerCredentials.createInsecure(), (error) => {
      if (error) reject(new TsdError('unavailable', `cannot listen on ${address}: ${error.message}`, { cause: error }));
      else resolve();
    });
  });
  return {
    address,
    async stop() {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await rm(address, { force: true });
    },
  };
}
