"""Private files on S3-compatible storage (django-storages), so that several web hosts share
them: against a real S3 server on this machine (moto in server mode, over HTTP), a letter
uploaded through the portal lands in the bucket and nowhere on disk, comes back through the
permission-checked download, stays out of an outsider's reach, and is found by the backup's
walk of the storage."""

import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

from appointments.models import Appointment
from cqo_registry.backups import private_files
from cqo_registry.private_storage import s3_private_storage
from tests.factories import PDF_BYTES, pdf_letter
from tests.portal.conftest import filing_data
from tests.ports import free_port

CREDENTIALS = {"access_key": "cqo-test", "secret_key": "cqo-test-secret", "region": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    """A fresh private bucket, and the site's private storage pointed at it (as the settings
    do when PRIVATE_STORAGE_BUCKET is set). MEDIA_ROOT is an empty folder that must stay so."""
    name = f"cqo-private-{uuid.uuid4().hex[:8]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
        region_name=CREDENTIALS["region"],
    )
    client.create_bucket(Bucket=name)
    settings.MEDIA_ROOT = tmp_path / "media-root-unused"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_private_storage(bucket=name, endpoint_url=s3_endpoint, **CREDENTIALS),
    }
    return {"name": name, "client": client, "local": settings.MEDIA_ROOT}


def objects(bucket) -> dict[str, bytes]:
    listing = bucket["client"].list_objects_v2(Bucket=bucket["name"]).get("Contents", [])
    return {
        item["Key"]: bucket["client"]
        .get_object(Bucket=bucket["name"], Key=item["Key"])["Body"]
        .read()
        for item in listing
    }


@pytest.mark.django_db
def test_letter_uploaded_through_the_portal_is_kept_in_the_bucket(
    bucket, client_for, enterprise_user, reviewer, outsider_enterprise_user
):
    portal = client_for(enterprise_user)

    response = portal.post(
        "/portal/filings/new/", {**filing_data(), "draft": "1", "letter": pdf_letter()}
    )

    assert response.status_code == 302
    appointment = Appointment.objects.get(enterprise=enterprise_user.enterprise_id)
    key = f"private/{appointment.letter.name}"
    assert objects(bucket) == {key: PDF_BYTES}
    assert not bucket["local"].exists()  # nothing written on this host's disk

    download = client_for(reviewer).get(f"/files/letters/{appointment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert client_for(enterprise_user).get(f"/files/letters/{appointment.pk}/").status_code == 200
    outsider = client_for(outsider_enterprise_user).get(f"/files/letters/{appointment.pk}/")
    assert outsider.status_code == 404

    # The backup walks the bucket as it walks a folder.
    from django.core.files.storage import storages

    assert private_files(storages["default"]) == [appointment.letter.name]


def test_objects_are_not_readable_without_a_signature(bucket, settings):
    """The storage hands out signed URLs only; the site never links to them (files go through
    the views), but the setting keeps a leaked key from becoming a public link."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    storage = storages["default"]
    name = storage.save("letters/check.pdf", ContentFile(PDF_BYTES))

    url = storage.url(name)

    assert "X-Amz-Signature=" in url
    assert settings.STORAGES["default"]["OPTIONS"]["default_acl"] is None
