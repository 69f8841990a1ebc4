"""The `data` argument our modules take: an image file in a multipart form,
checked before the model runs (a wrong or missing file is the request's fault,
answered 422 by DEEPaaS's argument parser, not a server error)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from webargs import ValidationError, fields


def check_image(upload: Any) -> None:
    """Refuse a file that is not an image, or whose declared media type is not
    what its bytes are."""
    stream = getattr(upload, "file", None)
    if stream is None:
        raise ValidationError("not a file")
    data = stream.read()
    stream.seek(0)
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            actual = PILImage.MIME.get(image.format or "", "")
    except UnidentifiedImageError as error:
        raise ValidationError("the file is not an image") from error
    declared = getattr(upload, "content_type", "")
    if declared != actual:
        raise ValidationError(f"the file is {actual}, sent as {declared or 'no media type'}")


def predict_args() -> dict:
    return {
        "data": fields.Field(
            required=True,
            validate=check_image,
            metadata={
                "description": "The image (JPEG, PNG or TIFF).",
                "type": "file",
                "location": "form",
            },
        )
    }


def read(upload: Any) -> bytes:
    """The bytes DEEPaaS stored for an uploaded file (its `UploadedFile`)."""
    return Path(upload.filename).read_bytes()
