import { Flags } from '@oclif/core';
import { TsdCommand } from '../../cli/base-command.js';
import { createImageBuilder, readImageManifest } from '../../image/builder.js';
import type { GuestArch } from '../../image/guest-image.js';
import { describeImage, summaryLines, type ImageSummary } from '../../image/summary.js';

export default class ImageBuild extends TsdCommand {
  static override summary = 'Build the guest image (or find it in the cache) and print its digest, paths and sizes';
  static override description = 'Inputs are images/<arch>.yaml, images/rootfs and dist/guest (run `npm run build` first); outputs go to $TSD_CACHE or ~/.cache/tsd.';
  static override examples = ['<%= config.bin %> image build', '<%= config.bin %> image build --arch aarch64 --json'];
  static override flags = {
    arch: Flags.string({ description: 'guest architecture', options: ['x86_64', 'aarch64'], default: 'x86_64' }),
    rebuild: Flags.boolean({ description: 'assemble again even if the inputs are unchanged (checks the digest is reproducible)' }),
  };

  async run(): Promise<ImageSummary> {
    const { flags } = await this.parse(ImageBuild);
    const quiet = this.jsonEnabled();
    const image = await createImageBuilder({ rebuild: flags.rebuild }).ensure(flags.arch as GuestArch, {
      onProgress: (line) => (quiet ? undefined : this.logToStderr(line)),
    });
    const summary = describeImage(image, await readImageManifest(image.manifestPath));
    for (const line of summaryLines(summary)) this.log(line);
    return summary;
  }
}
