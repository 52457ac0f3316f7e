// Runs in a worker thread (piscina): ELD's n-gram table (~80 MiB of small objects) lives in this
// thread's heap, so it neither slows the main thread's garbage collection nor takes its core.
// Plain JavaScript so that Node loads it as it is, from src/ (tests, tsx) and from dist/.
import { eld } from 'eld/extrasmall';

/** For each sample, its ISO 639-1 language code, or '' when ELD is not confident. */
export default function detectLanguages(samples) {
  return samples.map((sample) => {
    const result = eld.detect(sample);
    return result.language !== '' && result.isReliable() ? result.language : '';
  });
}
