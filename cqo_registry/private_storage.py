"""Where private files (appointment letters, sanction and evaluation documents) are kept: the
``STORAGES["default"]`` entry the settings build from the environment."""


def s3_private_storage(
    *,
    bucket: str,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    region: str | None = None,
    prefix: str = "private",
) -> dict:
    """django-storages' S3 backend for an S3-compatible server (MinIO, Ceph, a cloud's object
    storage): objects under ``prefix/`` in ``bucket``, no ACL on objects (many compatible
    servers refuse them; the bucket itself is private), path-style addresses
    (``endpoint/bucket/key``, what MinIO and Ceph expect), signed requests only. ``None``
    for an argument means the AWS SDK's default (environment, Amazon S3)."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "region_name": region or None,
            "location": prefix,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": "path",
            "signature_version": "s3v4",
        },
    }
