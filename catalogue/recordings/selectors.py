"""Reads of recordings, filtered by access as images are: a recording, its file and
its derived images are seen by those who may read its set's files."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from catalogue import access
from catalogue.access import Action
from catalogue.models import ImageSet, Recording
from curation.models import Annotation


def visible_recordings(user=None) -> QuerySet[Recording]:
    readable = ImageSet.objects.filter(access.orm_filter(user, Action.READ_FILES))
    return Recording.objects.filter(image_set__in=readable.values("pk"))


def recording_for(user, pk: int) -> Recording:
    """The recording, for a caller who may read its set's files; 404 otherwise."""
    return get_object_or_404(visible_recordings(user).select_related("image_set"), pk=pk)


def recording_annotations(recording: Recording) -> QuerySet[Annotation]:
    """Annotations of its derived images, in recording time order."""
    return (
        Annotation.objects.filter(image__recording=recording)
        .select_related("image", "label")
        .order_by("image__recording_start", "image_id", "pk")
    )
