#!/usr/bin/env python3
"""The object store's side of the local stack, through the S3 API (boto3, which moto brings).

  s3_objects.py create-bucket       the private, versioned media bucket (like create-bucket with mc)
  s3_objects.py dump DIR            copy every object of the bucket into DIR (a backup)
  s3_objects.py load DIR            put every file of DIR back as an object (a restore)

Endpoint, bucket and keys come from the environment (S3_ENDPOINT_URL, S3_BUCKET,
S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY), as for the app.
"""

import os
import sys
from pathlib import Path

import boto3


def client():
    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT_URL"],
        aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
        region_name=os.environ.get("S3_REGION", "us-east-1"),
    )


def create_bucket(s3, bucket: str) -> None:
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    print(f"bucket {bucket}: private, versioned")


def dump(s3, bucket: str, folder: Path) -> None:
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            target = folder / item["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(target))
            count += 1
    print(f"{count} objects copied from {bucket} into {folder}")


def load(s3, bucket: str, folder: Path) -> None:
    count = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, path.relative_to(folder).as_posix())
        count += 1
    print(f"{count} objects put into {bucket} from {folder}")


def main() -> int:
    command, *rest = sys.argv[1:] or ["help"]
    s3, bucket = client(), os.environ["S3_BUCKET"]
    if command == "create-bucket":
        create_bucket(s3, bucket)
    elif command == "dump" and len(rest) == 1:
        dump(s3, bucket, Path(rest[0]))
    elif command == "load" and len(rest) == 1:
        load(s3, bucket, Path(rest[0]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
