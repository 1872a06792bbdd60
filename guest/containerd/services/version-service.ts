/** containerd.services.version.v1.Version: which daemon this is. */
import { unary, type ServiceHandlers } from '../server/handlers.js';

export const DAEMON_VERSION = '0.1.0-tsd';
export const DAEMON_REVISION = 'tsd-containerd';

interface VersionResponse {
  version: string;
  revision: string;
}

export function versionService(): ServiceHandlers {
  return {
    Version: unary<unknown, VersionResponse>(async () => ({ version: DAEMON_VERSION, revision: DAEMON_REVISION })),
  };
}
