#!/usr/bin/env node
// Runs the TypeScript CLI in place: tsx's ESM loader is registered in this process, so signals,
// stdio and the exit code are the CLI's own (no child process in between).
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli.ts', import.meta.url).href);
