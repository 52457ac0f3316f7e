import { readFile } from 'node:fs/promises';
import { invalidArgument } from '../core/errors.ts';

/** Everything on standard input, as UTF-8. */
export async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of process.stdin) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** A file's text; `-` is standard input. */
export async function readText(file: string): Promise<string> {
  return file === '-' ? readStdin() : readFile(file, 'utf8');
}

/** A file's JSON (`-`: standard input), or one readable line saying why it is not JSON. */
export async function readJson(file: string): Promise<unknown> {
  const text = await readText(file);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidArgument(`${file === '-' ? 'standard input' : file} is not JSON: ${(error as Error).message}`);
  }
}
