"""Search follows a deleted set however it was deleted (the services, the admin, a
cascade): its documents and its images' leave, and the harvested copies of its DOI
it kept out of search come back."""

from __future__ import annotations

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from catalogue.harvest import services
from catalogue.models import ImageSet
from catalogue.search import outbox


@receiver(pre_delete, sender=ImageSet, dispatch_uid="harvest-set-deleted")
def set_deleted(sender, instance: ImageSet, **kwargs) -> None:
    outbox.record("image", list(instance.images.values_list("pk", flat=True)))
    outbox.record("set", [instance.pk])
    if instance.doi:
        services.uncover_copies(instance.doi)
