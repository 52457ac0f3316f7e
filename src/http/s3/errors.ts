import type { ErrorCode, StrataError } from '../../core/errors.ts';

/** An S3 protocol error: S3's own code and HTTP status, answered as S3's XML `<Error>`. */
export class S3Error extends Error {
  /** Extra elements of the `<Error>` body (e.g. the failed condition). */
  extra: Record<string, string> = {};

  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'S3Error';
  }

  with(extra: Record<string, string>): this {
    this.extra = extra;
    return this;
  }
}

export const s3Error = {
  accessDenied: (message = 'Access Denied') => new S3Error('AccessDenied', 403, message),
  invalidAccessKeyId: () => new S3Error('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.'),
  signatureDoesNotMatch: (extra: Record<string, string> = {}) =>
    new S3Error('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.').with(extra),
  requestTimeTooSkewed: () => new S3Error('RequestTimeTooSkewed', 403, 'The difference between the request time and the current time is too large.'),
  authorizationHeaderMalformed: (message: string) => new S3Error('AuthorizationHeaderMalformed', 400, message),
  invalidRequest: (message: string) => new S3Error('InvalidRequest', 400, message),
  invalidArgument: (message: string) => new S3Error('InvalidArgument', 400, message),
  malformedXml: () => new S3Error('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema.'),
  noSuchBucket: () => new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist'),
  noSuchKey: () => new S3Error('NoSuchKey', 404, 'The specified key does not exist.'),
  noSuchVersion: () => new S3Error('NoSuchVersion', 404, 'The specified version does not exist.'),
  invalidBucketName: () => new S3Error('InvalidBucketName', 400, 'The specified bucket is not valid.'),
  bucketNotEmpty: () => new S3Error('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty'),
  bucketAlreadyOwnedByYou: () => new S3Error('BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.'),
  bucketAlreadyExists: () => new S3Error('BucketAlreadyExists', 409, 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.'),
  badDigest: (message = 'The Content-MD5 you specified did not match what we received.') => new S3Error('BadDigest', 400, message),
  invalidDigest: () => new S3Error('InvalidDigest', 400, 'The Content-MD5 you specified is not valid.'),
  sha256Mismatch: () => new S3Error('XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed."),
  incompleteBody: () => new S3Error('IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'),
  invalidRange: (size: number) => new S3Error('InvalidRange', 416, 'The requested range is not satisfiable').with({ ActualObjectSize: String(size) }),
  preconditionFailed: (condition: string) => new S3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold').with({ Condition: condition }),
  notImplemented: (what: string) => new S3Error('NotImplemented', 501, `A header or query you provided implies functionality that is not implemented: ${what}`),
  methodNotAllowed: () => new S3Error('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.'),
  expectationFailed: () => new S3Error('ExpectationFailed', 417, 'Strata cannot meet the expectation in the Expect header; only 100-continue is supported.'),
  invalidUri: () => new S3Error('InvalidURI', 400, "Couldn't parse the specified URI: it is not valid UTF-8 after percent-decoding."),
  keyTooLong: () => new S3Error('KeyTooLongError', 400, 'Your key is too long'),
  entityTooLarge: (message: string) => new S3Error('EntityTooLarge', 400, message),
};

/** S3 error for each Strata code, when the failing operation gives no more precise one. */
const BY_CODE: Record<ErrorCode, { code: string; status: number }> = {
  NotFound: { code: 'NoSuchKey', status: 404 },
  Conflict: { code: 'OperationAborted', status: 409 },
  InvalidArgument: { code: 'InvalidArgument', status: 400 },
  Unauthorized: { code: 'AccessDenied', status: 403 },
  Forbidden: { code: 'AccessDenied', status: 403 },
  PreconditionFailed: { code: 'PreconditionFailed', status: 412 },
  PayloadTooLarge: { code: 'EntityTooLarge', status: 400 },
  // Collected by garbage collection: for S3 the version simply no longer exists.
  Gone: { code: 'NoSuchKey', status: 404 },
  // Erased for legal reasons: S3 has no 451; the message names the erasure.
  Erased: { code: 'AccessDenied', status: 403 },
  Unavailable: { code: 'ServiceUnavailable', status: 503 },
  Internal: { code: 'InternalError', status: 500 },
};

/** Precise S3 errors named by a Strata error's `details.reason`. */
const BY_REASON: Record<string, { code: string; status: number }> = {
  'no-such-upload': { code: 'NoSuchUpload', status: 404 },
  'invalid-part': { code: 'InvalidPart', status: 400 },
  'invalid-part-order': { code: 'InvalidPartOrder', status: 400 },
  'entity-too-small': { code: 'EntityTooSmall', status: 400 },
  'malformed-xml': { code: 'MalformedXML', status: 400 },
  'invalid-part-number': { code: 'InvalidArgument', status: 400 },
  'collected-version': { code: 'NoSuchVersion', status: 404 },
};

export function fromStrataError(error: StrataError): S3Error {
  const reason = error.details?.reason;
  const mapped = (typeof reason === 'string' ? BY_REASON[reason] : undefined) ?? BY_CODE[error.code];
  const message = error.code === 'Internal' ? 'We encountered an internal error. Please try again.' : error.message;
  return new S3Error(mapped.code, mapped.status, message);
}
