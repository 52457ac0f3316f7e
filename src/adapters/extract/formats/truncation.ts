/**
 * Truncation checks for formats built from length-prefixed units (PNG chunks, MPEG audio
 * frames), run as the bytes stream by and reading only each unit's header. By hand because the
 * parsers we use read the head of a file only (image-size, music-metadata on 64 KiB) and none of
 * them reports a file cut short; following the chain costs a few bytes per unit.
 */

type Step = { skip: number; end?: boolean } | 'lost';

interface UnitFormat {
  /** What the error names: the file and its unit. */
  name: string;
  unit: string;
  /** Bytes of a unit's header that `step` reads. */
  headerBytes: number;
  /** Where the unit after this one starts, relative to this one; `end` for the last unit; `lost` when these bytes are no unit (trailing data: nothing to check). */
  step(header: Buffer): Step;
  /** True when a file must end with a unit that says so (PNG's IEND). */
  endRequired: boolean;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const PNG: UnitFormat = {
  name: 'PNG',
  unit: 'a PNG chunk',
  headerBytes: 8,
  // length (4), type (4), data (length), CRC (4)
  step: (header) => ({ skip: 12 + header.readUInt32BE(0), end: header.toString('latin1', 4, 8) === 'IEND' }),
  endRequired: true,
};

const MPEG_AUDIO: UnitFormat = {
  name: 'MPEG audio',
  unit: 'an MPEG audio frame',
  headerBytes: 4,
  step: mpegFrame,
  endRequired: false,
};

/** Follows one file's units; `finish` says whether the file ended where its last unit did. */
export class TruncationCheck {
  private next: number;
  private state: 'walking' | 'ended' | 'lost' = 'walking';
  /** Bytes of a header split across two chunks, from absolute offset `carryAt`. */
  private carry: Buffer | undefined;
  private carryAt = 0;
  private seen = 0;

  private constructor(
    private readonly format: UnitFormat,
    first: number,
  ) {
    this.next = first;
  }

  /** A check for the file whose first bytes are `head`, or undefined when it is no format checked here. */
  static forHead(head: Uint8Array): TruncationCheck | undefined {
    const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
    if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return new TruncationCheck(PNG, 8);
    if (bytes.length >= 10 && bytes.toString('latin1', 0, 3) === 'ID3') {
      // ID3v2: a 10-byte header, a syncsafe size, and a 10-byte footer when flag 0x10 is set.
      const size = ((bytes[6] ?? 0) << 21) | ((bytes[7] ?? 0) << 14) | ((bytes[8] ?? 0) << 7) | (bytes[9] ?? 0);
      return new TruncationCheck(MPEG_AUDIO, 10 + size + (((bytes[5] ?? 0) & 0x10) !== 0 ? 10 : 0));
    }
    if (bytes.length >= 4 && mpegFrame(bytes.subarray(0, 4)) !== 'lost') return new TruncationCheck(MPEG_AUDIO, 0);
    return undefined;
  }

  update(bytes: Uint8Array): void {
    const start = this.seen;
    this.seen += bytes.length;
    if (this.state !== 'walking') return;
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const data = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk]);
    const dataAt = this.carry === undefined ? start : this.carryAt;
    this.carry = undefined;
    const { headerBytes } = this.format;
    while (this.state === 'walking' && this.next + headerBytes <= dataAt + data.length) {
      const step = this.format.step(data.subarray(this.next - dataAt, this.next - dataAt + headerBytes));
      if (step === 'lost') {
        this.state = 'lost';
        return;
      }
      this.next += step.skip;
      if (step.end === true) this.state = 'ended';
    }
    if (this.state === 'walking' && this.next < dataAt + data.length) {
      this.carry = Buffer.from(data.subarray(this.next - dataAt));
      this.carryAt = this.next;
    }
  }

  /** Why the file is truncated, or undefined when it is whole (or could not be followed to its end). */
  finish(): string | undefined {
    const missing = this.next - this.seen;
    if (this.state === 'lost') return undefined;
    if (missing > 0) return `truncated: the file ends inside ${this.format.unit} (${missing} bytes missing)`;
    if (this.state === 'walking' && this.format.endRequired) return `truncated: the ${this.format.name} file ends before its IEND chunk`;
    if (this.state === 'walking' && this.next < this.seen) return `truncated: the file ends inside the header of ${this.format.unit}`;
    return undefined;
  }
}

/** kbit/s by [version 1 | 2 and 2.5][layer I, II, III][index 1…14]. */
const BITRATES = [
  [
    [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
];
/** Hz by version bits (0: 2.5, 2: 2, 3: 1) and index. */
const SAMPLE_RATES: Record<number, number[]> = { 0: [11025, 12000, 8000], 2: [22050, 24000, 16000], 3: [44100, 48000, 32000] };

/**
 * An MPEG audio frame header (ISO 11172-3 / 13818-3): the frame's length in bytes. An ID3v1 tag
 * ("TAG") ends the frames; anything else that is no valid header (free bitrate, reserved values,
 * an APE tag, junk) stops the walk.
 */
function mpegFrame(header: Buffer): Step {
  if (header.toString('latin1', 0, 3) === 'TAG') return { skip: 128, end: true };
  const [b0 = 0, b1 = 0, b2 = 0] = header;
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return 'lost';
  const version = (b1 >> 3) & 3;
  const layer = 4 - ((b1 >> 1) & 3); // 1, 2, 3; 4 is reserved
  const rates = SAMPLE_RATES[version];
  const bitrate = BITRATES[version === 3 ? 0 : 1]?.[layer - 1]?.[(b2 >> 4) - 1];
  const sampleRate = rates?.[(b2 >> 2) & 3];
  if (layer === 4 || bitrate === undefined || sampleRate === undefined) return 'lost';
  const padding = (b2 >> 1) & 1;
  const bps = bitrate * 1000;
  if (layer === 1) return { skip: (Math.floor((12 * bps) / sampleRate) + padding) * 4 };
  const factor = layer === 3 && version !== 3 ? 72 : 144;
  return { skip: Math.floor((factor * bps) / sampleRate) + padding };
}
