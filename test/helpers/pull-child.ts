// Child process for the kill -9 test: pulls REFERENCE into the content store at ROOT and prints
// each transfer event as a JSON line, so that the parent can kill it at a chosen moment.
import { LocalContentStore } from '../../guest/containerd/content/local-store.js';
import { pullImage } from '../../guest/containerd/registry/pull.js';
import { RegistryClient } from '../../guest/containerd/registry/registry-client.js';

const [root, reference] = process.argv.slice(2);
if (!root || !reference) throw new Error('usage: pull-child ROOT REFERENCE');
const store = await LocalContentStore.open(root);
const client = new RegistryClient();
await pullImage(client, store, reference, {
  platform: { os: 'linux', architecture: 'amd64' },
  onEvent: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
});
client.close();
