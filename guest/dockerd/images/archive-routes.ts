/** GET /images/get, GET /images/{name}/get (docker save) and POST /images/load (docker load). */
import type { ServerResponse } from 'node:http';
import { TsdError } from '../../api/errors.js';
import type { EngineContext } from '../engine-context.js';
import type { ApiRequest } from '../router.js';

export async function handleSave(_ctx: EngineContext, _req: ApiRequest, _res: ServerResponse, _names?: string[]): Promise<void> {
  throw new TsdError('unsupported', 'docker save is not implemented yet');
}

export async function handleLoad(_ctx: EngineContext, _req: ApiRequest, _res: ServerResponse): Promise<void> {
  throw new TsdError('unsupported', 'docker load is not implemented yet');
}
