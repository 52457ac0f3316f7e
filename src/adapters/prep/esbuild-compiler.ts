import { transform } from 'esbuild';
import type { ModuleCompiler } from '../../core/ports/module-compiler.ts';

/** TypeScript custom steps to JavaScript with esbuild (types stripped, nothing bundled). */
export const esbuildCompiler: ModuleCompiler = {
  async compile(source, path) {
    try {
      return (await transform(source, { loader: 'ts', format: 'esm', target: 'node20', sourcefile: path })).code;
    } catch (error) {
      throw new Error(`does not compile: ${(error as Error).message.split('\n')[0] ?? ''}`, { cause: error });
    }
  },
};
