#!/usr/bin/env bash
# rclone against a Strata S3 gateway: copy (multipart), check by MD5 ETags, sync twice (the
# second transfers nothing), copy back, delete, remove the bucket. Needs: ENDPOINT, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, WORKDIR.
set -euo pipefail
# rclone 1.60's AWS SDK cannot load a custom CA bundle into its HTTP transport; the gateway is plain HTTP.
unset AWS_CA_BUNDLE
export RCLONE_CONFIG=/dev/null
export RCLONE_CONFIG_STRATA_TYPE=s3 RCLONE_CONFIG_STRATA_PROVIDER=Other RCLONE_CONFIG_STRATA_ENV_AUTH=false
export RCLONE_CONFIG_STRATA_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" RCLONE_CONFIG_STRATA_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"
export RCLONE_CONFIG_STRATA_ENDPOINT="$ENDPOINT" RCLONE_CONFIG_STRATA_REGION=us-east-1
flags=(--s3-upload-cutoff 5M --s3-chunk-size 5M)
W="$WORKDIR/rclone"
mkdir -p "$W/src/deep/er"
head -c 12582912 /dev/urandom > "$W/src/big.bin"
printf 'small\n' > "$W/src/deep/er/s.txt"
head -c 4096 /dev/urandom > "$W/src/deep/k.bin"

rclone mkdir strata:rc-bucket
rclone copy -q "${flags[@]}" "$W/src" strata:rc-bucket/tree
rclone check -q "${flags[@]}" "$W/src" strata:rc-bucket/tree
stats=$(rclone sync -v "${flags[@]}" "$W/src" strata:rc-bucket/tree 2>&1)
echo "$stats" | grep -q 'There was nothing to transfer' || { echo "a second sync transferred: $stats"; exit 1; }
[ "$(rclone lsf -R --files-only strata:rc-bucket/tree | wc -l)" -eq 3 ]
rclone copy -q "${flags[@]}" strata:rc-bucket/tree "$W/back"
diff -r "$W/src" "$W/back"
# Server-side copy (CopyObject), hashes from ETags, and a ranged read.
rclone copyto -q strata:rc-bucket/tree/deep/k.bin strata:rc-bucket/copied/k.bin
[ "$(rclone md5sum strata:rc-bucket/copied/k.bin | cut -d' ' -f1)" = "$(md5sum "$W/src/deep/k.bin" | cut -d' ' -f1)" ]
cmp <(rclone cat --offset 100 --count 50 strata:rc-bucket/tree/big.bin) <(tail -c +101 "$W/src/big.bin" | head -c 50)
# Not `purge`: on a versioned bucket it deletes every version, and a Strata branch's history is
# immutable (deleting a past version is AccessDenied). Deleting the current objects works.
rclone delete -q strata:rc-bucket
[ -z "$(rclone lsf -R strata:rc-bucket)" ] || { echo "objects left after delete"; exit 1; }
rclone rmdir strata:rc-bucket
echo "rclone: ok"
