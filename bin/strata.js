#!/usr/bin/env node
// Starts the CLI from the compiled `dist/` (built by `npm install` through the `prepare` script)
// when it is up to date with `src/`; otherwise from the TypeScript sources through tsx, so an
// edited checkout never runs stale code.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const compiled = join(root, 'dist', 'cli', 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh() {
  try {
    return statSync(compiled).mtimeMs >= newestSource(join(root, 'src'));
  } catch {
    return false;
  }
}

if (isFresh()) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
