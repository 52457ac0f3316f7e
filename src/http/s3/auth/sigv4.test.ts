import { describe, expect, it } from 'vitest';
import { decodeAwsChunked } from './aws-chunked.ts';
import type { SignableRequest } from './canonical.ts';
import { checkV4Time, parseAmzDate, parseV4Header, parseV4Query, signingKey, verifyV4 } from './sigv4.ts';

// The worked examples of AWS's "Signature Calculations" pages (credentials are AWS's examples).
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const EXAMPLE_TIME = parseAmzDate('20130524T000000Z');

function request(method: string, rawPath: string, rawQuery: string, headers: Record<string, string>): SignableRequest {
  return { method, rawPath, rawQuery, headers: new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [v]])) };
}

describe('SigV4 against AWS published examples', () => {
  const getObject = (signature: string) =>
    request('GET', '/test.txt', '', {
      host: 'examplebucket.s3.amazonaws.com',
      range: 'bytes=0-9',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date': '20130524T000000Z',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=${signature}`,
    });

  it('verifies the GET Object header example and rejects a changed header', () => {
    const good = getObject('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    const claim = parseV4Header(good, good.headers.get('authorization')?.[0] ?? '');
    expect(() => { verifyV4(good, claim, SECRET); }).not.toThrow();
    expect(() => { checkV4Time(claim, EXAMPLE_TIME + 14 * 60_000); }).not.toThrow();
    expect(() => { checkV4Time(claim, EXAMPLE_TIME + 16 * 60_000); }).toThrow(expect.objectContaining({ code: 'RequestTimeTooSkewed', status: 403 }));
    good.headers.set('range', ['bytes=0-10']);
    expect(() => { verifyV4(good, claim, SECRET); }).toThrow(expect.objectContaining({ code: 'SignatureDoesNotMatch', status: 403 }));
    expect(() => { verifyV4(getObject('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'), claim, SECRET.replace('K7', 'K8')); }).toThrow(
      expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
    );
  });

  it('verifies the presigned URL example and enforces its expiry', () => {
    const query =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
      '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
      '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    const presigned = request('GET', '/test.txt', query, { host: 'examplebucket.s3.amazonaws.com' });
    const claim = parseV4Query(presigned);
    expect(() => { verifyV4(presigned, claim, SECRET); }).not.toThrow();
    expect(() => { checkV4Time(claim, EXAMPLE_TIME + 86_399_000); }).not.toThrow();
    expect(() => { checkV4Time(claim, EXAMPLE_TIME + 86_401_000); }).toThrow(expect.objectContaining({ code: 'AccessDenied', message: 'Request has expired' }));
  });

  describe('the signed streaming (aws-chunked) PUT example', () => {
    const seed = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
    const put = request('PUT', '/examplebucket/chunkObject.txt', '', {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'content-encoding': 'aws-chunked',
      'content-length': '66824',
      'x-amz-decoded-content-length': '66560',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,' +
        `SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=${seed}`,
    });
    const chunks: [number, string][] = [
      [65536, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648'],
      [1024, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497'],
      [0, 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9'],
    ];
    const body = (corrupt: boolean): Buffer =>
      Buffer.concat(
        chunks.map(([size, signature]) => {
          const data = Buffer.alloc(size, 'a');
          if (corrupt && size === 1024) data[10] = 0x62;
          return Buffer.concat([Buffer.from(`${size.toString(16)};chunk-signature=${signature}\r\n`), data, Buffer.from('\r\n')]);
        }),
      );
    async function* inPieces(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
      await Promise.resolve();
      for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
    }
    const decode = async (bytes: Buffer, pieceSize: number): Promise<Buffer> => {
      const signing = { key: signingKey(SECRET, '20130524/us-east-1/s3/aws4_request'), scope: '20130524/us-east-1/s3/aws4_request', amzDate: '20130524T000000Z', seed };
      const out: Uint8Array[] = [];
      for await (const piece of decodeAwsChunked(inPieces(bytes, pieceSize), { signing, trailers: new Map() })) out.push(piece);
      return Buffer.concat(out);
    };

    it('verifies the seed signature and every chunk signature, whatever the read sizes', async () => {
      const claim = parseV4Header(put, put.headers.get('authorization')?.[0] ?? '');
      expect(() => { verifyV4(put, claim, SECRET); }).not.toThrow();
      for (const pieceSize of [1, 7, 4096, 70_000]) expect((await decode(body(false), pieceSize)).equals(Buffer.alloc(66560, 'a'))).toBe(true);
    });

    it('rejects a tampered chunk with SignatureDoesNotMatch', async () => {
      await expect(decode(body(true), 8192)).rejects.toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    });

    it('verifies the signed trailer of the -TRAILER variant (AWS CRT vector) and rejects a changed one', async () => {
      const withTrailer = (third: string): Buffer => {
        const framed = body(false);
        // body() ends with the final chunk's header and CRLF, then an empty line; trailers replace the empty line.
        const withoutEnd = framed.subarray(0, framed.length - 2);
        return Buffer.concat([withoutEnd, Buffer.from(`first:1st\r\nsecond:2nd\r\nthird:${third}\r\nx-amz-trailer-signature:df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c\r\n\r\n`)]);
      };
      const trailers = new Map<string, string>();
      const signing = { key: signingKey(SECRET, '20130524/us-east-1/s3/aws4_request'), scope: '20130524/us-east-1/s3/aws4_request', amzDate: '20130524T000000Z', seed };
      let size = 0;
      for await (const piece of decodeAwsChunked(inPieces(withTrailer('3rd'), 5000), { signing, trailers })) size += piece.length;
      expect(size).toBe(66560);
      expect(Object.fromEntries(trailers)).toEqual({ first: '1st', second: '2nd', third: '3rd' });
      const forged = async (): Promise<number> => {
        let bytes = 0;
        for await (const piece of decodeAwsChunked(inPieces(withTrailer('4th'), 5000), { signing, trailers: new Map() })) bytes += piece.length;
        return bytes;
      };
      await expect(forged()).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    });

    it('rejects a truncated body with IncompleteBody', async () => {
      await expect(decode(body(false).subarray(0, 66_000), 8192)).rejects.toMatchObject({ code: 'IncompleteBody', status: 400 });
    });
  });
});
