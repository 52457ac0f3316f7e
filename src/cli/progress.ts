import { SingleBar } from 'cli-progress';
import { formatBytes } from './output.ts';

/** A files + bytes progress bar on stderr; silent when stderr is not a terminal or output is JSON. */
export interface Progress {
  advance(bytes: number): void;
  stop(): void;
}

export function createProgress(input: { label: string; totalFiles: number; totalBytes: number; enabled: boolean }): Progress {
  if (!input.enabled || !process.stderr.isTTY) return { advance: () => undefined, stop: () => undefined };
  const started = Date.now();
  let bytes = 0;
  const bar = new SingleBar(
    {
      format: `${input.label} |{bar}| {value}/{total} files | {done} of {size} | {rate}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
  );
  bar.start(input.totalFiles, 0, { done: formatBytes(0), size: formatBytes(input.totalBytes), rate: formatBytes(0) });
  return {
    advance: (n) => {
      bytes += n;
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar.increment(1, { done: formatBytes(bytes), rate: formatBytes(Math.round(bytes / seconds)) });
    },
    stop: () => {
      bar.stop();
    },
  };
}

/** A one-line status on stderr for work whose total is not known ahead (rewritten at most 10 times a second). */
export interface StatusLine {
  update(text: string): void;
  stop(): void;
}

export function createStatusLine(input: { label: string; enabled: boolean }): StatusLine {
  if (!input.enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  let last = 0;
  let shown = false;
  return {
    update: (text) => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\x1b[2K${input.label}: ${text}`);
    },
    stop: () => {
      if (shown) process.stderr.write('\r\x1b[2K');
    },
  };
}
