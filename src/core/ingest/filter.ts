import picomatch from 'picomatch';

/** Include/exclude globs (picomatch: `**` crosses folders, dotfiles match) as one predicate. */
export function ingestFilter(include: string[] = [], exclude: string[] = []): (path: string) => boolean {
  const included = include.length === 0 ? () => true : picomatch(include, { dot: true });
  const excluded = exclude.length === 0 ? () => false : picomatch(exclude, { dot: true });
  return (path) => included(path) && !excluded(path);
}
