#!/usr/bin/env node
// The `internvl` bin: embeds the kernels, then runs the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
await import('./embed_shaders.ts');
await import('./internvl_cli.ts');
