// Types for the parts of cpio-stream (CommonJS, untyped) that the image builder uses.
declare module 'cpio-stream' {
  import type { Readable, Writable } from 'node:stream';

  export interface CpioHeader {
    name: string;
    mode: number;
    uid?: number;
    gid?: number;
    mtime?: Date;
    size?: number;
    ino?: number;
    nlink?: number;
    dev?: number;
    devmajor?: number;
    devminor?: number;
    rdevmajor?: number;
    rdevminor?: number;
    linkname?: string;
    type?: 'file' | 'directory' | 'symlink';
  }

  export interface Pack extends Readable {
    entry(header: CpioHeader, buffer: Buffer | string | null, callback: (error?: Error) => void): Writable;
    entry(header: CpioHeader, callback: (error?: Error) => void): Writable;
    finalize(): void;
  }

  export function pack(options?: { format?: 'newc' | 'odc' }): Pack;
}
