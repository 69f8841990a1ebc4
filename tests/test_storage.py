"""File storage: objects written through Django's storage land in the S3 bucket."""

import os
import uuid

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages


@pytest.mark.services("s3")
def test_put_get_delete_on_the_s3_server():

    assert type(storages["default"]).__name__ == "S3Storage"
    bucket = os.environ["S3_BUCKET"]
    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT_URL"],
        aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    payload = os.urandom(256 * 1024)
    name = default_storage.save(f"tests/{uuid.uuid4().hex}.bin", ContentFile(payload))
    try:
        head = s3.head_object(Bucket=bucket, Key=name)
        assert head["ContentLength"] == len(payload)
        with default_storage.open(name, "rb") as stored:
            assert stored.read() == payload
    finally:
        default_storage.delete(name)
    assert not default_storage.exists(name)
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=bucket, Key=name)
