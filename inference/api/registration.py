"""API of model registration: `POST /api/v1/models/` (multipart: `card`, the model
card as JSON, a file or a text field; `weights`, the TorchScript or ONNX file)
registers a version with the same checks as the admin
(inference/services/uploads.py); every problem comes back at once, keyed by
field, and nothing is stored on any. `GET` lists the versions as before.

Staff or holders of the "register model versions" permission; with a token, the
"write" scope, as every write of the API.
"""

from __future__ import annotations

import json

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from catalogue.api.problems import WRITE_ERRORS, problems
from inference.api.cards import ModelListView, ModelVersionSerializer, version_row, versions
from inference.services import uploads
from inference.services.uploads import CardError, may_register, register_upload

UPLOAD_SCHEMA = {
    "multipart/form-data": {
        "type": "object",
        "properties": {
            "card": {
                "type": "string",
                "format": "binary",
                "description": "the model card (AI4OS metadata 2.x, JSON) with its `aquacat` "
                "section: name, version, task, framework, labels, label_set?, input_spec, "
                "weights.sha256",
            },
            "weights": {"type": "string", "format": "binary"},
        },
        "required": ["card", "weights"],
    }
}


def read_parts(request) -> tuple[object, bytes]:
    """The card (from a file part or a text field) and the weights; a field error for
    each part missing or not readable, both at once."""
    errors = {}
    upload = request.FILES.get("card")
    raw = upload.read() if upload is not None else request.data.get("card")
    card = None
    if not raw:
        errors["card"] = ["is required (the model card, JSON)"]
    else:
        try:
            card = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            errors["card"] = [f"not JSON: {error}"]
    weights = request.FILES.get("weights")
    if weights is None:
        errors["weights"] = ["is required (a file part)"]
    elif weights.size > uploads.MAX_WEIGHTS_BYTES:  # refused before it is read into memory
        errors["weights"] = [f"the file is over {uploads.MAX_WEIGHTS_BYTES} bytes"]
    if errors:
        raise exceptions.ValidationError(errors)
    return card, weights.read()


class ModelsView(ModelListView):
    """Every registered model version, with links to its card; and registering one."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="models_create",
        request=UPLOAD_SCHEMA,
        responses={201: ModelVersionSerializer, **problems(*WRITE_ERRORS)},
        description="Register a model version from its card and weights (TorchScript or "
        "ONNX, told apart by content). The card is checked against the AI4OS metadata schema "
        "and AquaCat's section, the file against the card (sha256, format, shapes) and the "
        "labels against the label set the card names; every problem comes back at once, "
        "keyed by field, and nothing is stored. Staff or the register-models permission.",
    )
    def post(self, request):
        if not may_register(request.user):
            raise exceptions.PermissionDenied(
                "Only staff and holders of the register-models permission register models."
            )
        card, weights = read_parts(request)
        try:
            version = register_upload(actor=request.user, card=card, weights=weights)
        except CardError as error:
            raise exceptions.ValidationError(
                {field: [reason] for field, reason in error.problems.items()}
            ) from error
        body = version_row(request, versions().get(pk=version.pk))
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})
