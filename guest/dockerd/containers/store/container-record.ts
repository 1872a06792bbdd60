/**
 * What the engine persists per container (DATA_ROOT/containers/<id>/config.v2.json): Docker's
 * inspect fields plus the few internal facts the engine needs after a restart (snapshot key,
 * runtime, whether a user stopped it). Network settings live with the network module.
 */
import type { ContainerConfig, ContainerState, HostConfig, MountPoint } from '../docker-types.js';
import type { InheritedMount } from '../spec/volumes-from.js';
import { ZERO_TIME } from '../docker-types.js';

export interface ContainerRecord {
  ID: string;
  /** RFC 3339 with nanoseconds, as Docker prints it. */
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  /** The image ID (`sha256:…`). */
  Image: string;
  /** Name with the leading slash, Docker's form. */
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: 'linux';
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  Mounts: MountPoint[];
  /** Internal: never shown by inspect. */
  Internal: {
    snapshotKey: string;
    snapshotter: string;
    runtime: string;
    /** `docker stop`/`kill` by a user: no restart policy applies (unless-stopped stays down after an engine restart). */
    manuallyStopped: boolean;
    hasBeenStarted: boolean;
    /** Anonymous volumes created for this container (removed by `rm -v`). */
    anonymousVolumes: string[];
    /** Mounts copied from HostConfig.VolumesFrom's containers at create (absent in older records). */
    inheritedMounts?: InheritedMount[];
  };
}

export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  };
}

/** Docker's time format: RFC 3339 with nanoseconds (JS has milliseconds; the rest are zeros). */
export function dockerTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** "Up 3 minutes", "Exited (0) 2 seconds ago" — the Status column of `docker ps`. */
export function humanStatus(state: ContainerState, now = Date.now()): string {
  const since = (iso: string): string => humanDuration(now - Date.parse(iso));
  switch (state.Status) {
    case 'running':
      return `Up ${since(state.StartedAt)}${state.Health && state.Health.Status !== 'none' ? ` (${state.Health.Status === 'starting' ? 'health: starting' : state.Health.Status})` : ''}`;
    case 'paused':
      return `Up ${since(state.StartedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${state.ExitCode}) ${since(state.FinishedAt)} ago`;
    case 'exited':
      return `Exited (${state.ExitCode}) ${since(state.FinishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    default:
      return 'Created';
  }
}

/** Docker's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.round(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.round(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.round(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.round(hours / 24 / 30)} months`;
  return `${Math.round(hours / 24 / 365)} years`;
}
