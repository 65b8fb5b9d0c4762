"""Check and store an applicant's uploaded documents.

The type is decided by the file's first bytes, never by its name or the
browser's content type: a renamed executable is refused. Files go under
``MEDIA_ROOT/onboarding/<application public_id>/``, which no URL serves;
platform staff download them through a staff-only view.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings

from core.errors import InvalidInput

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024

# (magic prefix, content type, extension we store under)
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


@dataclass(frozen=True)
class CheckedDocument:
    content: bytes
    content_type: str
    extension: str
    original_name: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def document_check(upload: IO[bytes] | None, *, field: str) -> CheckedDocument:
    """Return the upload's bytes if it is a PDF, PNG or JPEG of at most 5 MB.

    Raises InvalidInput naming ``field``.
    """
    if upload is None:
        raise InvalidInput.for_field(field, "is required (PDF, PNG or JPEG)")
    content = upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InvalidInput.for_field(field, "must be at most 5 MB")
    if not content:
        raise InvalidInput.for_field(field, "the file is empty")
    for magic, content_type, extension in _SIGNATURES:
        if content.startswith(magic):
            return CheckedDocument(
                content=content,
                content_type=content_type,
                extension=extension,
                original_name=str(getattr(upload, "name", "") or "")[-200:],
                sha256=hashlib.sha256(content).hexdigest(),
            )
    raise InvalidInput.for_field(
        field, "must be a PDF, PNG or JPEG file (its content is not one of these)"
    )


def document_directory(public_id: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "onboarding" / public_id


def document_write(*, public_id: str, kind: str, document: CheckedDocument) -> str:
    """Write the bytes and return the path relative to MEDIA_ROOT."""
    directory = document_directory(public_id)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{kind}-{document.sha256[:12]}.{document.extension}"
    (directory / name).write_bytes(document.content)
    return f"onboarding/{public_id}/{name}"


def document_path(relative: str) -> Path:
    """Return the absolute path of a stored document, refusing escapes."""
    root = (Path(settings.MEDIA_ROOT) / "onboarding").resolve()
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    if root not in path.parents:
        raise InvalidInput.for_field("path", "is outside the document store")
    return path
