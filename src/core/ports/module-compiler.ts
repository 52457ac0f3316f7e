/** Turns a custom step written in TypeScript into JavaScript. Adapter: esbuild. */
export interface ModuleCompiler {
  /** Rejects with the first compile error. */
  compile(source: string, path: string): Promise<string>;
}
