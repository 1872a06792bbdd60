/**
 * Facts about the guest that the host side, the image builder and the guest init all rely on.
 * Change them here only, and all three follow.
 */

/** Where the guest's code lives inside the image: bundles, native addons, the C helper. */
export const GUEST_TSD_DIR = '/opt/tsd';
/** The Node runtime inside the image. */
export const GUEST_NODE_PATH = '/usr/bin/node';
/** The Docker Engine API socket in the guest, forwarded to the host over SSH. */
export const GUEST_DOCKER_SOCKET = '/run/docker.sock';
/** containerd's socket in the guest (Docker's packaging puts it there); the agent waits for it too. */
export const GUEST_CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
/** Logs of the supervised services; `tsd machine logs` reads them over SSH. */
export const GUEST_LOG_DIR = '/var/log/tsd';
/** The data disk (a qcow2 on the host) is mounted here and persists across restarts. */
export const GUEST_DATA_MOUNT = '/var/lib';
/** virtio-blk serial numbers: the guest finds its disks by these, not by /dev/vdX order. */
export const DATA_DISK_SERIAL = 'tsd-data';
export const ROOT_DISK_SERIAL = 'tsd-root';
/** The SSH server listens on this port in the guest; QEMU forwards 127.0.0.1:<sshPort> to it. */
export const GUEST_SSH_PORT = 22;
/** The guest's user for SSH sessions. */
export const GUEST_SSH_USER = 'root';

/** QEMU user-mode networking (slirp) defaults: the guest configures these statically. */
export const SLIRP = {
  guestAddress: '10.0.2.15',
  prefixLength: 24,
  gateway: '10.0.2.2', // also the host's loopback, seen from the guest
  dns: '10.0.2.3',
} as const;

/** 9p mount tags: mount i of the machine file is shared as `tsd<i>`. */
export function mountTag(index: number): string {
  return `tsd${index}`;
}

/** The line the guest init prints on the console (serial log) once its services are started. */
export const GUEST_INIT_READY_LINE = 'tsd-init: ready';
/**
 * The line the guest init prints on the console when the SSH server first accepts a connection on
 * GUEST_SSH_PORT: from then on a slow SSH handshake is a busy guest, not a guest still booting.
 */
export const GUEST_SSHD_ANSWERS_LINE = `tsd-init: answers: ssh on port ${GUEST_SSH_PORT}`;
