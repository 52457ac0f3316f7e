import exifr from 'exifr';
import { imageSize } from 'image-size';
import { parseBuffer } from 'music-metadata';
import type { ExtractedValue } from '../../../core/ports/metadata-extractor.ts';

type Fields = Record<string, ExtractedValue>;

/** Width, height and format from the header; EXIF camera, capture time and GPS presence. */
export async function imageFields(head: Buffer): Promise<Fields> {
  const size = imageSize(head);
  const fields: Fields = { width: size.width, height: size.height };
  if (size.type !== undefined) fields.format = size.type;
  const exif = (await exifr.parse(head, { tiff: true, exif: true, gps: true, ihdr: false, translateValues: false }).catch(() => undefined)) as Record<string, unknown> | undefined;
  fields.exif = exif !== undefined;
  if (exif) {
    const camera = [exif.Make, exif.Model].filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim()).join(' ');
    if (camera !== '') fields.camera = camera;
    const taken = exif.DateTimeOriginal ?? exif.CreateDate ?? exif.ModifyDate;
    if (taken instanceof Date && !Number.isNaN(taken.getTime())) fields.taken = taken.toISOString();
    fields.gps = typeof exif.latitude === 'number' && typeof exif.longitude === 'number';
  }
  return fields;
}

/** An SVG's declared size (width/height, else the viewBox), when it gives one. */
export function svgSize(head: Buffer): Fields {
  try {
    const { width, height } = imageSize(head);
    return { width, height };
  } catch {
    return {};
  }
}

/**
 * Duration, codec, sample rate, bit rate and channels from the container's headers. A video's
 * `codec` is its video track's, with `width`/`height` from that track and the audio codec as
 * `audioCodec`: music-metadata's `format.codec` is the first track's, often the audio.
 */
export async function audioVideoFields(head: Buffer, input: { mimeType: string; size?: number }): Promise<Fields> {
  const { format } = await parseBuffer(head, { mimeType: input.mimeType, size: input.size }, { duration: false, skipCovers: true });
  const fields: Fields = {};
  if (format.duration !== undefined) fields.duration = Math.round(format.duration * 1000) / 1000;
  const video = format.trackInfo.find((track) => track.video !== undefined);
  const audio = format.trackInfo.find((track) => track.audio !== undefined);
  if (video !== undefined) {
    if (video.codecName !== undefined) fields.codec = codecName(video.codecName);
    if (video.video?.pixelWidth !== undefined) fields.width = video.video.pixelWidth;
    if (video.video?.pixelHeight !== undefined) fields.height = video.video.pixelHeight;
    if (audio?.codecName !== undefined) fields.audioCodec = codecName(audio.codecName);
  } else if (format.codec !== undefined) {
    fields.codec = format.codec;
  }
  if (format.container !== undefined) fields.container = format.container;
  if (format.sampleRate !== undefined) fields.sampleRate = format.sampleRate;
  if (format.bitrate !== undefined) fields.bitrate = Math.round(format.bitrate);
  if (format.numberOfChannels !== undefined) fields.channels = format.numberOfChannels;
  return fields;
}

/** Matroska codec ids without their kind prefix, as music-metadata names audio codecs: `V_VP9` → `VP9`, `A_OPUS` → `OPUS`. */
function codecName(id: string): string {
  return id.replace(/^[AVS]_/, '');
}
