"""Names for private uploads (letters, documents): random, keeping only the extension, because
an original file name may carry personal data and must not be guessable."""

import uuid


def random_name(folder: str, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{folder}/{uuid.uuid4().hex}.{suffix}"
