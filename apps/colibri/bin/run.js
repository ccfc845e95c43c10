#!/usr/bin/env node
// The subpath, not the package index: --help stays fast (the manifest spares loading commands).
import { execute } from '@oclif/core/execute';

await execute({ dir: import.meta.url });
