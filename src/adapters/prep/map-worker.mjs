// Runs in a worker thread (piscina): the per-record half of recipe runs. Plain JavaScript so that
// Node loads it as it is; it then loads the mapping code compiled (dist/) or, from the sources
// (tests, an edited checkout), through tsx, registered in this thread.
import { existsSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const compiled = new URL('./map-in-thread.js', import.meta.url);
let module;
if (existsSync(fileURLToPath(compiled))) {
  module = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  module = await import(new URL('./map-in-thread.ts', import.meta.url).href);
}

export default module.default;
