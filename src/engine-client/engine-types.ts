/**
 * The parts of the Docker Engine API (v1.41–1.44) the verbs send and read. Field names are the
 * API's own (PascalCase), so these are the wire shapes, not our vocabulary.
 */
export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface HostConfig {
  Binds?: string[];
  /** [height, width]: the terminal's size when the tty starts (API 1.42+). */
  ConsoleSize?: [number, number];
  PortBindings?: Record<string, PortBinding[]>;
  PublishAllPorts?: boolean;
  AutoRemove?: boolean;
  NetworkMode?: string;
  RestartPolicy?: { Name: string; MaximumRetryCount?: number };
  Memory?: number;
  NanoCpus?: number;
  PidsLimit?: number;
  Init?: boolean;
  Privileged?: boolean;
  CapAdd?: string[];
  CapDrop?: string[];
  ReadonlyRootfs?: boolean;
  ExtraHosts?: string[];
  Dns?: string[];
  Tmpfs?: Record<string, string>;
}

export interface ContainerCreateBody {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Labels?: Record<string, string>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Volumes?: Record<string, Record<string, never>>;
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig: HostConfig;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  Labels?: Record<string, string> | null;
  Mounts?: Array<{ Name?: string; Source?: string; Destination?: string; Type?: string }>;
  NetworkSettings?: { Networks?: Record<string, unknown> };
}

export interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Config: { Tty: boolean; OpenStdin?: boolean };
  State: { Status: string; Running: boolean; ExitCode: number };
}

export interface ExecInspect {
  ExitCode: number | null;
  Running: boolean;
}

export interface WaitResponse {
  StatusCode: number;
  Error?: { Message?: string } | null;
}
