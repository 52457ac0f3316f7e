import { s3Error } from './errors.ts';
import type { S3Command, S3Exchange } from './exchange.ts';
import { ABSENT_BUCKET_CONFIGURATIONS, getAbsentConfiguration, getAcl, putAcl } from './commands/acl.ts';
import * as buckets from './commands/buckets.ts';
import { copyObject } from './commands/copy-object.ts';
import { deleteBucketCors, getBucketCors, putBucketCors } from './commands/cors.ts';
import { deleteObject, deleteObjects } from './commands/delete-object.ts';
import { getObject } from './commands/get-object.ts';
import { listObjects } from './commands/list-objects.ts';
import { listObjectVersions } from './commands/list-versions.ts';
import * as multipart from './commands/multipart.ts';
import { putObject } from './commands/put-object.ts';
import { deleteObjectTagging, getObjectTagging, putObjectTagging } from './commands/tagging.ts';

export interface Route {
  command: S3Command;
  /** Reads may be served anonymously on a public-read repository; nothing else may. */
  access: 'read' | 'write' | 'account';
}

/** S3 sub-resources Strata does not implement: answered NotImplemented, never a wrong success. */
const UNIMPLEMENTED = [
  'acl', 'policy', 'policyStatus', 'lifecycle', 'website', 'logging', 'notification', 'replication', 'encryption',
  'object-lock', 'retention', 'legal-hold', 'restore', 'select', 'torrent', 'accelerate', 'analytics', 'inventory',
  'metrics', 'ownershipControls', 'publicAccessBlock', 'requestPayment', 'intelligent-tiering', 'attributes', 'session',
];

const read = (command: S3Command): Route => ({ command, access: 'read' });
const write = (command: S3Command): Route => ({ command, access: 'write' });

/** Picks the operation from the method, the addressing and the query, as S3 does. */
export function route(exchange: S3Exchange): Route {
  const has = (name: string): boolean => exchange.query.has(name);
  if (exchange.method === 'GET' && exchange.bucket !== undefined && has('acl')) return read(getAcl);
  if (exchange.method === 'PUT' && exchange.bucket !== undefined && has('acl')) return write(putAcl);
  if (exchange.method === 'GET' && exchange.bucket !== undefined && exchange.key === undefined && ABSENT_BUCKET_CONFIGURATIONS.some(has)) {
    return read(getAbsentConfiguration);
  }
  const unimplemented = UNIMPLEMENTED.find(has);
  if (unimplemented !== undefined) throw s3Error.notImplemented(`?${unimplemented}`);
  const { method } = exchange;
  if (exchange.bucket === undefined) {
    if (method === 'GET') return { command: buckets.listBuckets, access: 'account' };
    throw s3Error.methodNotAllowed();
  }
  if (exchange.key === undefined) return bucketRoute(method, has);
  switch (method) {
    case 'GET':
      if (has('tagging')) return read(getObjectTagging);
      if (has('uploadId')) return write(multipart.listParts);
      return read(getObject);
    case 'HEAD':
      return read(getObject);
    case 'PUT':
      if (has('tagging')) return write(putObjectTagging);
      if (has('uploadId') || has('partNumber')) return write(exchange.header('x-amz-copy-source') === undefined ? multipart.uploadPart : multipart.uploadPartCopy);
      return write(exchange.header('x-amz-copy-source') === undefined ? putObject : copyObject);
    case 'DELETE':
      if (has('tagging')) return write(deleteObjectTagging);
      if (has('uploadId')) return write(multipart.abortMultipartUpload);
      return write(deleteObject);
    case 'POST':
      if (has('uploads')) return write(multipart.createMultipartUpload);
      if (has('uploadId')) return write(multipart.completeMultipartUpload);
      throw s3Error.notImplemented(`POST on an object without ?uploads or ?uploadId`);
    default:
      throw s3Error.methodNotAllowed();
  }
}

function bucketRoute(method: string, has: (name: string) => boolean): Route {
  switch (method) {
    case 'GET':
      if (has('location')) return read(buckets.getBucketLocation);
      if (has('versioning')) return read(buckets.getBucketVersioning);
      if (has('cors')) return write(getBucketCors);
      if (has('versions')) return read(listObjectVersions);
      if (has('uploads')) return write(multipart.listMultipartUploads);
      return read(listObjects);
    case 'HEAD':
      return read(buckets.headBucket);
    case 'PUT':
      if (has('versioning')) return write(buckets.putBucketVersioning);
      if (has('cors')) return write(putBucketCors);
      if (has('tagging')) throw s3Error.notImplemented('bucket tagging');
      return { command: buckets.createBucket, access: 'account' };
    case 'DELETE':
      if (has('cors')) return write(deleteBucketCors);
      if (has('tagging')) throw s3Error.notImplemented('bucket tagging');
      return { command: buckets.deleteBucket, access: 'account' };
    case 'POST':
      if (has('delete')) return write(deleteObjects);
      // Browser form uploads (multipart/form-data) are answered before routing (post-object.ts).
      throw s3Error.invalidArgument('POST on a bucket is ?delete, or a browser upload with a multipart/form-data body');
    default:
      throw s3Error.methodNotAllowed();
  }
}
