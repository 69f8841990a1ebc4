"""OpenAPI links (a drf-spectacular postprocessing hook, which has no other way to
state them): what an answer's ids lead to. A client, or a test tool walking the API
(Schemathesis's stateful phase), follows them from a set it made to its uploads and
publication, from an annotation or a job it made to their own operations, and from a
list's first row to that row.

A link is written only where the answer's schema holds the field it reads, so an
operation whose answer changes shape loses its link rather than pointing astray. A
few links give a request body instead (a review's events to undo them).
"""

from __future__ import annotations

# (from these operations, the answer's field, to these operations, as this path parameter)
FIRST_ROW = "results/0/"
LINKS: list[tuple[tuple[str, ...], str, tuple[str, ...], str]] = [
    (
        ("image_sets_create", "image_sets_versions_create"),
        "id",
        (
            "image_sets_retrieve",
            "image_sets_partial_update",
            "image_sets_destroy",
            "image_sets_images_create",
            "image_sets_publish",
            "image_sets_reviewers_retrieve",
            "image_sets_reviewers_update",
            "image_sets_uploads_create",
            "image_sets_versions_create",
        ),
        "id",
    ),
    (
        ("image_sets_uploads_create",),
        "id",
        (
            "uploads_retrieve",
            "uploads_partial_update",
            "uploads_destroy",
            "uploads_complete_create",
            "uploads_parts_create",
        ),
        "upload_id",
    ),
    (("image_sets_publish",), "id", ("deposits_retrieve",), "id"),
    (
        ("annotations_create",),
        "id",
        (
            "annotations_retrieve",
            "annotations_partial_update",
            "annotations_destroy",
            "annotations_history_retrieve",
        ),
        "id",
    ),
    (("jobs_create", "jobs_retry"), "id", ("jobs_retrieve", "jobs_cancel", "jobs_retry"), "id"),
    (
        ("label_sets_create", "label_sets_versions_create", "label_sets_labels_create"),
        "uuid",
        (
            "label_sets_retrieve",
            "label_sets_export_retrieve",
            "label_sets_labels_create",
            "label_sets_publish_create",
            "label_sets_versions_create",
        ),
        "uuid",
    ),
    (("label_sets_publish_create",), "uuid", ("label_sets_versions_create",), "uuid"),
    (("models_create",), "id", ("models_retrieve",), "id"),
    # A recording leads to its annotations' file, its set and its derived images.
    (
        ("recordings_retrieve",),
        "id",
        ("recordings_retrieve", "recordings_annotations_export_retrieve"),
        "id",
    ),
    (
        ("recordings_retrieve",),
        "image_set",
        ("image_sets_retrieve", "image_sets_reviewers_retrieve"),
        "id",
    ),
    (("recordings_retrieve",), "images/0/id", ("images_retrieve", "images_similar"), "id"),
    # A list's first row.
    (
        ("image_sets_list",),
        FIRST_ROW + "id",
        (
            "image_sets_retrieve",
            "image_sets_publish",
            "image_sets_reviewers_retrieve",
            "image_sets_uploads_create",
            "image_sets_versions_create",
        ),
        "id",
    ),
    (("images_list",), FIRST_ROW + "id", ("images_retrieve", "images_similar"), "id"),
    (
        ("annotations_list",),
        FIRST_ROW + "id",
        (
            "annotations_retrieve",
            "annotations_history_retrieve",
            "annotations_partial_update",
            "annotations_destroy",
        ),
        "id",
    ),
    (("jobs_list",), FIRST_ROW + "id", ("jobs_retrieve", "jobs_cancel", "jobs_retry"), "id"),
    (
        ("label_sets_list",),
        FIRST_ROW + "uuid",
        ("label_sets_retrieve", "label_sets_export_retrieve", "label_sets_versions_create"),
        "uuid",
    ),
    (("models_list",), "0/id", ("models_retrieve",), "id"),
]


# (from this operation, the answer's field it needs, to this operation, with this body)
BODY_LINKS: list[tuple[str, str, str, dict]] = [
    (
        "annotations_review_create",
        "events",
        "annotations_undo_create",
        {"events": "$response.body#/events"},
    ),
    (
        "annotations_list",
        FIRST_ROW + "id",
        "annotations_review_create",
        {"ids": ["$response.body#/results/0/id"], "action": "validate"},
    ),
]


def resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def holds(schema: dict, pointer: str, components: dict) -> bool:
    """Whether an answer of `schema` has the field at `pointer` (a/0/b: `0` an item)."""
    for step in pointer.split("/"):
        schema = resolve(schema, components)
        if step.isdigit():
            schema = schema.get("items", {})
        else:
            schema = schema.get("properties", {}).get(step)
            if schema is None:
                return False
    return True


def success_answers(operation: dict):
    for code, response in operation.get("responses", {}).items():
        if code.startswith("2"):
            for media in response.get("content", {}).values():
                yield response, media.get("schema", {})


def add_links(result, generator, request, public):
    components = result.get("components", {}).get("schemas", {})
    operations = {
        operation["operationId"]: operation
        for methods in result.get("paths", {}).values()
        for operation in methods.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for sources, field, targets, parameter in LINKS:
        for source in sources:
            if source not in operations:
                continue
            for response, schema in success_answers(operations[source]):
                if not holds(schema, field, components):
                    continue
                links = response.setdefault("links", {})
                for target in targets:
                    if target in operations:
                        links[target] = {
                            "operationId": target,
                            "parameters": {parameter: f"$response.body#/{field}"},
                        }
    for source, field, target, body in BODY_LINKS:
        if source not in operations or target not in operations:
            continue
        for response, schema in success_answers(operations[source]):
            if holds(schema, field, components):
                link = {"operationId": target, "requestBody": body}
                response.setdefault("links", {})[target] = link
    return result
