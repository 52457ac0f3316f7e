import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { IngestSource, SourceItem } from '../../core/ports/ingest-source.ts';

/**
 * An S3 prefix on any S3-compatible endpoint: `s3://bucket/prefix?endpoint=…&region=…&path_style=true`,
 * credentials from the AWS chain (or given). Keys are stored relative to the prefix.
 */
export class S3Source implements IngestSource {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(
    readonly uri: string,
    options: { credentials?: { accessKeyId: string; secretAccessKey: string } } = {},
  ) {
    const parsed = new URL(uri);
    this.bucket = parsed.hostname;
    const path = decodeURIComponent(parsed.pathname).replace(/^\/+/, '');
    this.prefix = path === '' || path.endsWith('/') ? path : `${path}/`;
    const pathStyle = parsed.searchParams.get('path_style');
    this.client = new S3Client({
      endpoint: parsed.searchParams.get('endpoint') ?? undefined,
      region: parsed.searchParams.get('region') ?? 'us-east-1',
      forcePathStyle: pathStyle === null ? undefined : pathStyle === 'true',
      credentials: options.credentials,
    });
  }

  async *list(): AsyncIterable<SourceItem> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        if (key.endsWith('/')) continue;
        const item: SourceItem = { path: key.slice(this.prefix.length), location: `s3://${this.bucket}/${key}`, size: object.Size };
        if (object.LastModified) item.modified = object.LastModified.toISOString();
        yield item;
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async open(item: SourceItem, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const key = item.location.slice(`s3://${this.bucket}/`.length);
    const output = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
    return output.Body as Readable;
  }

  close(): void {
    this.client.destroy();
  }
}
