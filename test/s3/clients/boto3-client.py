"""boto3 against a Strata S3 gateway: put/get, multipart upload_file, paginated listing, copy,
delete_objects, ranges, presigned URLs. Every download is compared byte for byte.
Needs: ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, WORKDIR."""
import hashlib
import os
import sys
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1")
work = os.path.join(os.environ["WORKDIR"], "boto3")
os.makedirs(work, exist_ok=True)


def check(condition, message):
    if not condition:
        print("boto3: FAILED:", message)
        sys.exit(1)


s3.create_bucket(Bucket="boto-bucket")
body = os.urandom(300_000)
put = s3.put_object(Bucket="boto-bucket", Key="a/one.bin", Body=body, Metadata={"k": "v"}, ContentType="application/x-one")
check(put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(), "PutObject ETag is the MD5")
got = s3.get_object(Bucket="boto-bucket", Key="a/one.bin")
check(got["Body"].read() == body, "GetObject bytes")
check(got["Metadata"] == {"k": "v"} and got["ContentType"] == "application/x-one", "metadata and type")
ranged = s3.get_object(Bucket="boto-bucket", Key="a/one.bin", Range="bytes=100-199")["Body"].read()
check(ranged == body[100:200], "range bytes")

big = os.path.join(work, "big.bin")
with open(big, "wb") as f:
    f.write(os.urandom(12 * 1024 * 1024 + 7))
config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_file(big, "boto-bucket", "big.bin", Config=config)
check(s3.head_object(Bucket="boto-bucket", Key="big.bin")["ETag"].endswith('-3"'), "multipart ETag")
out = os.path.join(work, "big.out")
s3.download_file("boto-bucket", "big.bin", out, Config=config)
check(open(big, "rb").read() == open(out, "rb").read(), "multipart bytes")

for i in range(25):
    s3.put_object(Bucket="boto-bucket", Key="many/%03d" % i, Body=b"x" * i)
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket="boto-bucket", Prefix="many/", PaginationConfig={"PageSize": 10}):
    keys += [o["Key"] for o in page.get("Contents", [])]
check(keys == ["many/%03d" % i for i in range(25)], "paginated listing")
v1 = [o["Key"] for page in s3.get_paginator("list_objects").paginate(Bucket="boto-bucket", Prefix="many/", PaginationConfig={"PageSize": 7}) for o in page.get("Contents", [])]
check(v1 == keys, "v1 paginated listing")

s3.copy_object(Bucket="boto-bucket", Key="copy.bin", CopySource={"Bucket": "boto-bucket", "Key": "a/one.bin"})
check(s3.get_object(Bucket="boto-bucket", Key="copy.bin")["Body"].read() == body, "copy bytes")

url = s3.generate_presigned_url("get_object", Params={"Bucket": "boto-bucket", "Key": "a/one.bin"}, ExpiresIn=60)
check(urllib.request.urlopen(url).read() == body, "presigned GET")

s3.put_object_tagging(Bucket="boto-bucket", Key="copy.bin", Tagging={"TagSet": [{"Key": "team", "Value": "ml"}]})
check(s3.get_object_tagging(Bucket="boto-bucket", Key="copy.bin")["TagSet"] == [{"Key": "team", "Value": "ml"}], "tagging")
etag = s3.head_object(Bucket="boto-bucket", Key="a/one.bin")["ETag"]
try:
    s3.get_object(Bucket="boto-bucket", Key="a/one.bin", IfNoneMatch=etag)
    check(False, "If-None-Match with the current ETag is 304")
except ClientError as error:
    check(error.response["ResponseMetadata"]["HTTPStatusCode"] == 304, "304 Not Modified")
versions = s3.list_object_versions(Bucket="boto-bucket", Prefix="a/")["Versions"]
check([v["Key"] for v in versions] == ["a/one.bin"] and versions[0]["IsLatest"], "list_object_versions")

upload = s3.create_multipart_upload(Bucket="boto-bucket", Key="assembled.bin")["UploadId"]
part = s3.upload_part_copy(Bucket="boto-bucket", Key="assembled.bin", UploadId=upload, PartNumber=1, CopySource={"Bucket": "boto-bucket", "Key": "big.bin"}, CopySourceRange="bytes=0-5242879")
listed = s3.list_multipart_uploads(Bucket="boto-bucket")["Uploads"]
check([u["UploadId"] for u in listed] == [upload], "list_multipart_uploads")
s3.complete_multipart_upload(Bucket="boto-bucket", Key="assembled.bin", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]})
check(s3.get_object(Bucket="boto-bucket", Key="assembled.bin")["Body"].read() == open(big, "rb").read()[:5242880], "upload_part_copy bytes")
aborted = s3.create_multipart_upload(Bucket="boto-bucket", Key="dropped.bin")["UploadId"]
s3.abort_multipart_upload(Bucket="boto-bucket", Key="dropped.bin", UploadId=aborted)
check("Uploads" not in s3.list_multipart_uploads(Bucket="boto-bucket"), "abort_multipart_upload")

deleted = s3.delete_objects(Bucket="boto-bucket", Delete={"Objects": [{"Key": k} for k in keys]})
check(len(deleted.get("Deleted", [])) == 25, "delete_objects")
try:
    s3.get_object(Bucket="boto-bucket", Key="many/000")
    check(False, "a deleted key is gone")
except ClientError as error:
    check(error.response["Error"]["Code"] == "NoSuchKey", "NoSuchKey after delete")
print("boto3: ok")
