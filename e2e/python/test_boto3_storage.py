"""boto3 against cognate's S3 API on the one endpoint, both addressing styles: objects with
metadata and checksums (boto3 sends x-amz-checksum-crc32 by default), listings with
encoding-type=url, upload_fileobj's multipart upload, delete_objects, a presigned GET and a
browser POST-policy upload made with generate_presigned_post (one keyed with ${filename})."""
import io
import os
import uuid

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from boto3.s3.transfer import TransferConfig

ENDPOINT = os.environ["COGNATE_ENDPOINT"]


def s3(style):
    return boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1",
                        config=Config(s3={"addressing_style": style}, signature_version="s3v4"))


@pytest.fixture()
def bucket():
    name = f"boto3-{uuid.uuid4().hex[:12]}"
    s3("path").create_bucket(Bucket=name)
    return name


@pytest.mark.parametrize("style", ["path", "virtual"])
def test_objects_round_trip_with_metadata_and_checksums(bucket, style):
    client = s3(style)
    client.put_object(Bucket=bucket, Key="docs/a b+c.txt", Body=b"hello boto3",
                      ContentType="text/plain", Metadata={"owner": "ada"})
    got = client.get_object(Bucket=bucket, Key="docs/a b+c.txt")
    assert got["Body"].read() == b"hello boto3"
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"owner": "ada"}
    listed = client.list_objects_v2(Bucket=bucket, Prefix="docs/")
    assert [o["Key"] for o in listed["Contents"]] == ["docs/a b+c.txt"]
    with pytest.raises(ClientError) as missing:
        client.get_object(Bucket=bucket, Key="docs/none")
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"


def test_upload_fileobj_goes_multipart_and_delete_objects_answers_per_key(bucket):
    client = s3("path")
    data = os.urandom(12 * 1024 * 1024)
    client.upload_fileobj(io.BytesIO(data), bucket, "big.bin",
                          Config=TransferConfig(multipart_threshold=5 * 1024 * 1024,
                                                multipart_chunksize=5 * 1024 * 1024))
    head = client.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"'), head["ETag"]
    out = io.BytesIO()
    client.download_fileobj(bucket, "big.bin", out)
    assert out.getvalue() == data
    deleted = client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "big.bin"}, {"Key": "never"}]})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["big.bin", "never"]
    assert client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_presigned_get_and_a_browser_post_policy_upload(bucket):
    client = s3("path")
    post = client.generate_presigned_post(
        bucket, "uploads/note.txt",
        Conditions=[["content-length-range", 1, 1024], ["starts-with", "$key", "uploads/"]],
        ExpiresIn=300)
    answer = requests.post(post["url"], data=post["fields"],
                           files={"file": ("note.txt", b"posted from a form")})
    assert answer.status_code in (200, 204), answer.text
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "uploads/note.txt"},
                                        ExpiresIn=60)
    assert requests.get(url).content == b"posted from a form"
    too_big = requests.post(post["url"], data=post["fields"],
                            files={"file": ("big.txt", b"x" * 2048)})
    assert too_big.status_code == 400, too_big.text


def test_a_post_policy_key_with_filename_takes_the_uploaded_files_name(bucket):
    client = s3("path")
    post = client.generate_presigned_post(bucket, "inbox/${filename}", ExpiresIn=300)
    answer = requests.post(post["url"], data=post["fields"],
                           files={"file": ("report 2026.txt", b"named by the browser")})
    assert answer.status_code in (200, 204), answer.text
    listed = client.list_objects_v2(Bucket=bucket, Prefix="inbox/")
    assert [o["Key"] for o in listed["Contents"]] == ["inbox/report 2026.txt"]
    got = client.get_object(Bucket=bucket, Key="inbox/report 2026.txt")
    assert got["Body"].read() == b"named by the browser"
