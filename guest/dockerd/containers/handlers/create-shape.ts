/**
 * Type checks of the create body in Go's decoder wording, so a wrongly typed field is a 400
 * naming it instead of a crash later (the daemon keeps serving either way).
 */
import { checkShape, type Shape } from '../../http/json-body.js';
import type { CreateContainerBody } from '../docker-types.js';

const HOST_CONFIG: Shape = {
  name: 'HostConfig',
  fields: {
    Binds: '[]string', NetworkMode: 'string', PortBindings: 'object', RestartPolicy: { name: 'RestartPolicy', fields: { Name: 'string', MaximumRetryCount: 'int' } },
    AutoRemove: 'bool', VolumesFrom: '[]string', Mounts: 'array', CapAdd: '[]string', CapDrop: '[]string', Dns: '[]string', DnsOptions: '[]string',
    DnsSearch: '[]string', ExtraHosts: '[]string', GroupAdd: '[]string', Privileged: 'bool', PublishAllPorts: 'bool', ReadonlyRootfs: 'bool',
    SecurityOpt: '[]string', Tmpfs: 'map[string]string', ShmSize: 'int', Sysctls: 'map[string]string', Init: 'bool', Memory: 'int', MemorySwap: 'int',
    MemoryReservation: 'int', NanoCpus: 'int', CpuShares: 'int', CpuPeriod: 'int', CpuQuota: 'int', CpusetCpus: 'string', CpusetMems: 'string',
    PidsLimit: 'int', BlkioWeight: 'int', Ulimits: 'array', LogConfig: { name: 'LogConfig', fields: { Type: 'string', Config: 'map[string]string' } },
    Devices: 'array', DeviceCgroupRules: '[]string', IpcMode: 'string', PidMode: 'string', UTSMode: 'string', CgroupParent: 'string', OomKillDisable: 'bool',
    ConsoleSize: 'array',
  },
};

const CONFIG: Shape = {
  name: 'Config',
  fields: {
    Hostname: 'string', Domainname: 'string', User: 'string', AttachStdin: 'bool', AttachStdout: 'bool', AttachStderr: 'bool', Tty: 'bool',
    OpenStdin: 'bool', StdinOnce: 'bool', Env: '[]string', Cmd: '[]string', Entrypoint: '[]string', Image: 'string', WorkingDir: 'string',
    Labels: 'map[string]string', StopSignal: 'string', StopTimeout: 'int', ExposedPorts: 'object', Volumes: 'object', Healthcheck: 'object',
    NetworkDisabled: 'bool', HostConfig: HOST_CONFIG, NetworkingConfig: 'object',
  },
};

export function checkCreateBody(body: CreateContainerBody): void {
  // Docker also accepts a string for Cmd/Entrypoint (strslice); normalise it before checking.
  if (body && typeof body === 'object') {
    if (typeof body.Cmd === 'string') body.Cmd = [body.Cmd];
    if (typeof body.Entrypoint === 'string') body.Entrypoint = [body.Entrypoint];
  }
  checkShape(body, CONFIG);
}
