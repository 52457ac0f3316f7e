#!/usr/bin/env bash
# s3cmd against a Strata S3 gateway: mb, put (multipart), get, ls, sync, a SigV2 signed URL
# (s3cmd signurl), del, rb. Needs: ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, WORKDIR.
set -euo pipefail
W="$WORKDIR/s3cmd"
mkdir -p "$W/src/d"
hostport="${ENDPOINT#http://}"
cat > "$W/s3cfg" <<CFG
[default]
access_key = $AWS_ACCESS_KEY_ID
secret_key = $AWS_SECRET_ACCESS_KEY
host_base = $hostport
host_bucket = $hostport
use_https = False
signature_v2 = False
bucket_location = us-east-1
CFG
s3() { s3cmd -c "$W/s3cfg" --no-progress "$@"; }
head -c 12582912 /dev/urandom > "$W/src/big.bin"
printf 'one\n' > "$W/src/d/one.txt"

s3 mb s3://cmd-bucket
s3 put --multipart-chunk-size-mb=5 "$W/src/big.bin" s3://cmd-bucket/big.bin > /dev/null
s3 get s3://cmd-bucket/big.bin "$W/big.out" > /dev/null
cmp "$W/src/big.bin" "$W/big.out"
s3 sync "$W/src/" s3://cmd-bucket/tree/ > /dev/null
listing=$(s3 ls -r s3://cmd-bucket/tree/)
grep -q 'tree/d/one.txt' <<< "$listing" || { echo "s3cmd ls: $listing"; exit 1; }
again=$(s3 sync "$W/src/" s3://cmd-bucket/tree/)
echo "$again" | grep -q 'upload:' && { echo "a second sync uploaded: $again"; exit 1; }
url=$(s3 signurl s3://cmd-bucket/tree/d/one.txt +300)
curl -fsS "$url" | cmp - "$W/src/d/one.txt"
s3 --signature-v2 get --force s3://cmd-bucket/tree/d/one.txt "$W/v2.out" > /dev/null
cmp "$W/src/d/one.txt" "$W/v2.out"
s3 cp s3://cmd-bucket/tree/d/one.txt s3://cmd-bucket/copy.txt > /dev/null
s3 get --force s3://cmd-bucket/copy.txt "$W/copy.out" > /dev/null
cmp "$W/src/d/one.txt" "$W/copy.out"
info=$(s3 info s3://cmd-bucket/big.bin)
grep -q 'MD5 sum' <<< "$info" || { echo "s3cmd info: $info"; exit 1; }
s3 put --add-header='Cache-Control: max-age=60' "$W/src/d/one.txt" s3://cmd-bucket/cached.txt > /dev/null
s3 info s3://cmd-bucket/cached.txt > /dev/null
s3 del -r --force s3://cmd-bucket/ > /dev/null
s3 rb s3://cmd-bucket > /dev/null
echo "s3cmd: ok"
