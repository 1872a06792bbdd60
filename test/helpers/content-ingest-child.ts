// Child process for the kill -9 test: writes a known byte pattern into an ingest forever, one
// 1 MiB chunk at a time, printing a line after each, until it is killed.
import { LocalContentStore } from '../../guest/containerd/content/local-store.js';

const [root, ref] = process.argv.slice(2);
if (!root || !ref) throw new Error('usage: content-ingest-child ROOT REF');
const store = await LocalContentStore.open(root);
const writer = await store.writer(ref);
const chunkSize = 1024 * 1024;
for (let offset = 0; ; offset += chunkSize) {
  const chunk = Buffer.alloc(chunkSize);
  for (let i = 0; i < chunkSize; i++) chunk[i] = (offset + i) % 251;
  await writer.write(chunk);
  process.stdout.write(`${offset + chunkSize}\n`);
}
