// Media files built byte by byte for extraction tests: small, exact, and with the properties under test.
import { crc32, deflateSync } from 'node:zlib';

/** An EBML element: its id's bytes, the size as an 8-byte vint, the data. */
function ebml(id: number, data: Buffer | Buffer[]): Buffer {
  const body = Array.isArray(data) ? Buffer.concat(data) : data;
  const idBytes = Buffer.from(id.toString(16).padStart(id > 0xffffff ? 8 : id > 0xffff ? 6 : id > 0xff ? 4 : 2, '0'), 'hex');
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(body.length) | (1n << 56n));
  return Buffer.concat([idBytes, size, body]);
}
const uint = (id: number, value: number): Buffer => ebml(id, Buffer.from(value.toString(16).padStart(value > 0xffff ? 8 : 4, '0'), 'hex'));
const float = (id: number, value: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(value);
  return ebml(id, b);
};
const str = (id: number, value: string): Buffer => ebml(id, Buffer.from(value, 'latin1'));

/**
 * A WebM with an Opus audio track listed before a VP9 video track of `width`×`height` and a
 * duration of 2.5 s: the order in which extractors took the audio codec for the file's.
 */
export function webm(width: number, height: number): Buffer {
  const header = ebml(0x1a45dfa3, [uint(0x4286, 1), uint(0x42f7, 1), uint(0x42f2, 4), uint(0x42f3, 8), str(0x4282, 'webm'), uint(0x4287, 4), uint(0x4285, 2)]);
  const info = ebml(0x1549a966, [uint(0x2ad7b1, 1_000_000), float(0x4489, 2500), str(0x4d80, 'strata-test'), str(0x5741, 'strata-test')]);
  const audio = ebml(0xae, [uint(0xd7, 1), uint(0x73c5, 1), uint(0x83, 2), str(0x86, 'A_OPUS'), ebml(0xe1, [float(0xb5, 48000), uint(0x9f, 2)])]);
  const video = ebml(0xae, [uint(0xd7, 2), uint(0x73c5, 2), uint(0x83, 1), str(0x86, 'V_VP9'), ebml(0xe0, [uint(0xb0, width), uint(0xba, height)])]);
  const tracks = ebml(0x1654ae6b, [audio, video]);
  return Buffer.concat([header, ebml(0x18538067, [info, tracks])]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A valid RGB PNG of `width`×`height` with noisy pixels (so its IDAT does not compress away). */
export function png(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows: Buffer[] = [];
  let seed = 7;
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let i = 1; i < row.length; i++) row[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 23;
    rows.push(row);
  }
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.concat(rows))), pngChunk('IEND', Buffer.alloc(0))]);
}

/** `frames` MPEG-1 Layer III frames at 128 kbit/s, 44.1 kHz (417 bytes each), after an ID3v2 tag, then an ID3v1 tag. */
export function mp3(frames: number): Buffer {
  const title = Buffer.from('TIT2\0\0\0\x06\0\0\0Tone', 'latin1');
  const id3 = Buffer.concat([Buffer.from('ID3\x03\0\0\0\0\0', 'latin1'), Buffer.from([title.length]), title]);
  const frame = Buffer.alloc(417);
  frame.set([0xff, 0xfb, 0x90, 0x44]);
  const tag = Buffer.alloc(128);
  tag.write('TAG', 'latin1');
  return Buffer.concat([id3, ...Array.from({ length: frames }, () => frame), tag]);
}
