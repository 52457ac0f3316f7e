#!/usr/bin/env bash
# AWS CLI v2 against a Strata S3 gateway: cp (multipart), sync (twice: the second uploads nothing),
# ls, rm, and s3api multipart. Every download is compared byte for byte with its source.
# Needs: ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, WORKDIR.
set -euo pipefail
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_CONFIG_FILE=/dev/null
aws() { command /usr/bin/aws --endpoint-url "$ENDPOINT" "$@"; }
W="$WORKDIR/aws"
mkdir -p "$W/src/sub"
head -c 20971520 /dev/urandom > "$W/src/big.bin"
printf 'hello\n' > "$W/src/sub/a.txt"
head -c 1000 /dev/urandom > "$W/src/sub/b bin.dat"

aws s3 mb s3://cli-bucket
aws s3 cp "$W/src/big.bin" s3://cli-bucket/big.bin --only-show-errors
aws s3 cp s3://cli-bucket/big.bin "$W/big.out" --only-show-errors
cmp "$W/src/big.bin" "$W/big.out"

aws s3 sync "$W/src" s3://cli-bucket/tree/ --only-show-errors
again=$(aws s3 sync "$W/src" s3://cli-bucket/tree/)
[ -z "$again" ] || { echo "a second sync transferred: $again"; exit 1; }
count=$(aws s3 ls s3://cli-bucket/tree/ --recursive | wc -l)
[ "$count" -eq 3 ] || { echo "expected 3 keys, listed $count"; exit 1; }
grep -q 'PRE sub/' <<< "$(aws s3 ls s3://cli-bucket/tree/)"
aws s3 sync s3://cli-bucket/tree/ "$W/back/" --only-show-errors
diff -r "$W/src" "$W/back"

head -c 5242880 /dev/urandom > "$W/part1"
head -c 1048576 /dev/urandom > "$W/part2"
upload=$(aws s3api create-multipart-upload --bucket cli-bucket --key api/multi.bin --query UploadId --output text)
e1=$(aws s3api upload-part --bucket cli-bucket --key api/multi.bin --upload-id "$upload" --part-number 1 --body "$W/part1" --query ETag --output text)
e2=$(aws s3api upload-part --bucket cli-bucket --key api/multi.bin --upload-id "$upload" --part-number 2 --body "$W/part2" --query ETag --output text)
grep -qx 2 <<< "$(aws s3api list-parts --bucket cli-bucket --key api/multi.bin --upload-id "$upload" --query 'length(Parts)' --output text)"
printf '{"Parts":[{"PartNumber":1,"ETag":%s},{"PartNumber":2,"ETag":%s}]}' "$e1" "$e2" > "$W/parts.json"
etag=$(aws s3api complete-multipart-upload --bucket cli-bucket --key api/multi.bin --upload-id "$upload" --multipart-upload "file://$W/parts.json" --query ETag --output text)
[[ "$etag" == *-2\" ]] || { echo "multipart ETag is $etag"; exit 1; }
aws s3api get-object --bucket cli-bucket --key api/multi.bin "$W/multi.out" > /dev/null
cat "$W/part1" "$W/part2" | cmp - "$W/multi.out"
aws s3api head-object --bucket cli-bucket --key sub/none 2>/dev/null && { echo "head of a missing key succeeded"; exit 1; }

# Object API details: ranges, copy with REPLACE, tags, versions, batch delete, bucket queries.
aws s3api head-bucket --bucket cli-bucket
grep -qx Enabled <<< "$(aws s3api get-bucket-versioning --bucket cli-bucket --query Status --output text)"
aws s3api get-object --bucket cli-bucket --key big.bin --range bytes=1000-1999 "$W/range.out" > /dev/null
cmp <(tail -c +1001 "$W/src/big.bin" | head -c 1000) "$W/range.out"
aws s3api copy-object --bucket cli-bucket --key copied.txt --copy-source cli-bucket/tree/sub/a.txt --metadata-directive REPLACE --content-type text/x-copied --metadata origin=cli > /dev/null
grep -qx $'text/x-copied\tcli' <<< "$(aws s3api head-object --bucket cli-bucket --key copied.txt --query '[ContentType, Metadata.origin]' --output text)"
aws s3api put-object-tagging --bucket cli-bucket --key copied.txt --tagging 'TagSet=[{Key=stage,Value=raw}]'
grep -qx raw <<< "$(aws s3api get-object-tagging --bucket cli-bucket --key copied.txt --query 'TagSet[0].Value' --output text)"
grep -qx null <<< "$(aws s3api list-object-versions --bucket cli-bucket --prefix copied.txt --query 'Versions[0].VersionId' --output text)"
aws s3api delete-objects --bucket cli-bucket --delete '{"Objects":[{"Key":"copied.txt"}],"Quiet":true}' > /dev/null
aws s3api head-object --bucket cli-bucket --key copied.txt 2>/dev/null && { echo "a deleted key is still there"; exit 1; }

aws s3 rm s3://cli-bucket --recursive --only-show-errors
[ -z "$(aws s3 ls s3://cli-bucket --recursive)" ] || { echo "objects left after rm"; exit 1; }
aws s3 rb s3://cli-bucket
echo "aws-cli: ok"
