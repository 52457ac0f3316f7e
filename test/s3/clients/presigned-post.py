# Prints boto3's generate_presigned_post for one key as JSON: {"url": ..., "fields": {...}}.
# argv: endpoint, access key id, secret, bucket, key, signature version (s3v4 or s3), conditions JSON, fields JSON
import json
import sys

import boto3
from botocore.config import Config

endpoint, key_id, secret, bucket, key, version, conditions, fields = sys.argv[1:9]
client = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id=key_id,
    aws_secret_access_key=secret,
    region_name="us-east-1",
    config=Config(signature_version=version, s3={"addressing_style": "path"}),
)
post = client.generate_presigned_post(bucket, key, Fields=json.loads(fields), Conditions=json.loads(conditions), ExpiresIn=600)
print(json.dumps(post))
