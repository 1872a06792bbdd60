#!/usr/bin/env node
// Entry point of the `tsd` CLI. Commands are compiled to dist/ by `npm run build`
// (run automatically by `npm install` through the prepare script).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
