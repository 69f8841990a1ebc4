"""Every write of harvesting: sources (staff only), and external sets, which only a
harvest writes (catalogue/access.py refuses every other change to them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from catalogue import access
from catalogue.errors import FieldError, NotAllowed
from catalogue.harvest.external_images import COPY_FIELDS, copied_keys
from catalogue.harvest.mapping import Mapped, web_url
from catalogue.ingest.storing import delete_stored
from catalogue.models import (
    Access,
    HarvestSource,
    Image,
    ImageSet,
    SearchOutbox,
    State,
    Taxon,
    taxon_named,
    taxon_row,
)
from catalogue.search import external, outbox

SOURCE_FIELDS = ("kind", "base_url", "set_spec", "community", "query", "interval", "enabled")


def require_staff(actor) -> None:
    if actor is not access.SYSTEM and not access.is_staff(actor):
        raise NotAllowed("Only staff may manage harvest sources.")


def validation_problems(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in error.message_dict.items())
    return "; ".join(error.messages)


@transaction.atomic
def add_source(*, actor, name: str, kind: str, base_url: str, **fields) -> HarvestSource:
    """A new source; every field problem is reported at once (ValidationError)."""
    require_staff(actor)
    unknown = set(fields) - set(SOURCE_FIELDS)
    if unknown:
        raise FieldError(sorted(unknown)[0], "is not a field of a harvest source")
    fields = {name: value for name, value in fields.items() if value is not None}
    source = HarvestSource(name=name, kind=kind, base_url=base_url, **fields)
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def change_source(source: HarvestSource, *, actor) -> HarvestSource:
    """Save a changed source (its fields set by the caller), validated."""
    require_staff(actor)
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def remove_source(source: HarvestSource, *, actor) -> int:
    """Remove a source and the external sets it brought (out of search too); how many."""
    require_staff(actor)
    set_ids = list(source.image_sets.values_list("pk", flat=True))
    image_ids = list(ImageSet.objects.filter(pk__in=set_ids).values_list("images__pk", flat=True))
    # Copies of the same DOIs elsewhere may take these sets' place in search.
    outbox.record("set", sorted(set(set_ids) | external.sharing_doi(set_ids)))
    outbox.record("image", [pk for pk in image_ids if pk is not None])
    # Files a curator had copied here go with their images, once the delete holds.
    copied = [
        key
        for image in Image.objects.filter(image_set_id__in=set_ids)
        .exclude(storage_key="")
        .only(*COPY_FIELDS)
        for key in copied_keys(image)
    ]
    source.delete()
    if copied:
        transaction.on_commit(lambda: delete_stored(copied))
    return len(set_ids)


def uncover_copies(doi: str) -> int:
    """A set of this DOI is being deleted: the harvested copies it kept out of search
    are written anew (revision bumped, so every engine takes their documents again)
    and queued; how many."""
    ids = list(
        external.copies([doi]).filter(harvest_source__isnull=False).values_list("pk", flat=True)
    )
    if ids:
        ImageSet.objects.filter(pk__in=ids).update(revision=F("revision") + 1)
        queue_changes(ids)
    return len(ids)


def due_sources(now=None) -> list[HarvestSource]:
    """Enabled sources whose interval has passed since their last run started."""
    now = now or timezone.now()
    due = []
    for source in HarvestSource.objects.filter(enabled=True):
        last = source.runs.order_by("-started").values_list("started", flat=True).first()
        if last is None or last + source.interval <= now:
            due.append(source)
    return due


# --- external sets: written by a harvest only --------------------------------------------


@dataclass
class Batch:
    """What the records of one page share: their sets, read in one query; the taxa
    already matched; the sets changed, queued for search once."""

    existing: dict[str, ImageSet] = field(default_factory=dict)
    taxa: dict[tuple, dict | None] = field(default_factory=dict)
    changed: list[int] = field(default_factory=list)
    # New sets, validated, written together by save_new(): (identifier, set)
    new: list[tuple[str, ImageSet]] = field(default_factory=list)

    @classmethod
    def of(cls, source: HarvestSource, identifiers: list[str]) -> Batch:
        found = ImageSet.objects.filter(harvest_source=source, remote_identifier__in=identifiers)
        return cls(existing={s.remote_identifier: s for s in found})


def match_taxon(taxon: dict) -> dict | None:
    """The accepted taxon our table knows for a stated one (by AphiaID, else by its
    one accepted name), filled in from the table; None when it knows none."""
    if taxon.get("aphia_id"):
        row = Taxon.objects.filter(aphia_id=taxon["aphia_id"]).first()
        if row is not None and row.accepted:
            found = taxon_row(row)
            return {
                "aphia_id": row.aphia_id,
                "scientific_name": found["scientific_name"],
                "rank": found["rank"],
                "lineage": found["lineage"],
            }
    named, problem = taxon_named(taxon["scientific_name"])
    return named if named and not problem else None


def known_taxa(taxa: list[dict], cache: dict) -> tuple[list[dict], list[str]]:
    """The stated taxa our taxon table knows as accepted, and the names of the others
    (kept as keywords: the source's words, not our vocabulary)."""
    kept, names = [], []
    for taxon in taxa:
        key = (taxon.get("aphia_id"), taxon["scientific_name"])
        if key not in cache:
            cache[key] = match_taxon(taxon)
        if cache[key] is not None:
            kept.append(cache[key])
        else:
            names.append(taxon["scientific_name"])
    return kept, names


def external_fields(record: Mapped, cache: dict) -> dict:
    fields = dict(record.fields)
    taxa, others = known_taxa(fields.pop("taxa", []), cache)
    fields["taxa"] = taxa
    fields["keywords"] = list(dict.fromkeys([*fields.get("keywords", []), *others]))
    fields.setdefault("licence", "")
    return fields


def find_external(source: HarvestSource, identifier: str) -> ImageSet | None:
    return ImageSet.objects.filter(harvest_source=source, remote_identifier=identifier).first()


def queue_changes(set_ids: list[int]) -> None:
    """Queue the documents of these sets and their images (once for a whole page)."""
    if set_ids:
        outbox.record("set", set_ids)
        outbox.record(SearchOutbox.Kind.SET_IMAGES, set_ids)


def store_record(
    source: HarvestSource,
    identifier: str,
    datestamp,
    record: Mapped,
    batch: Batch | None = None,
    *,
    taxa: dict | None = None,
) -> tuple[str, ImageSet | None]:
    """Create or update the external set of a record: ("new"|"updated"|"unchanged", set).
    ValidationError (or IntegrityError) when the record fails the catalogue's checks:
    nothing is written. Within a `batch`, a new set waits for save_new() and changes
    are left for the caller to queue. `taxa`: names already matched (see known_taxa)."""
    if batch is None:
        existing = find_external(source, identifier)
    else:
        existing = batch.existing.get(identifier)
    if (
        existing is not None
        and existing.remote_deleted is None
        and datestamp is not None
        and existing.remote_datestamp == datestamp
    ):
        return "unchanged", existing
    image_set = existing or ImageSet(harvest_source=source, remote_identifier=identifier)
    cache = batch.taxa if batch else ({} if taxa is None else taxa)
    for name, value in external_fields(record, cache).items():
        setattr(image_set, name, value)
    image_set.doi = record.doi
    landing_page = record.landing_page if web_url(record.landing_page) else ""
    image_set.remote_landing_page = landing_page or (
        f"https://doi.org/{record.doi}" if record.doi else ""
    )
    image_set.remote_datestamp = datestamp
    image_set.remote_deleted = None
    image_set.state = State.PUBLISHED
    image_set.access = Access.OPEN
    image_set.owner = None
    # Its source is this harvest's own (no query to check it); an unknown licence is "".
    exclude = ["harvest_source"] + (["licence"] if not image_set.licence else [])
    # The table's constraints were checked on the mapped fields (mapping.check): asking
    # the database about each of them for every record would cost a query apiece.
    image_set.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    if existing is not None:
        image_set.revision += 1
    if batch is not None and image_set.pk is None:  # new, or met again on its page
        if existing is None:
            batch.new.append((identifier, image_set))
            batch.existing[identifier] = image_set
        return ("new" if existing is None else "unchanged"), image_set
    with transaction.atomic():
        image_set.save()
        if batch is None:
            queue_changes([image_set.pk])
    if batch is not None:
        batch.changed.append(image_set.pk)
    return ("updated" if existing is not None else "new"), image_set


def save_new(batch: Batch) -> list[tuple[str, str]]:
    """Write the batch's new sets in one statement; (identifier, reason) of those the
    database refused (then tried one by one, so each refusal names its record)."""
    refused: list[tuple[str, str]] = []
    sets = [image_set for _, image_set in batch.new]
    if not sets:
        return refused
    try:
        with transaction.atomic():
            ImageSet.objects.bulk_create(sets)
    except IntegrityError:
        for identifier, image_set in batch.new:
            image_set.pk = None
            try:
                with transaction.atomic():
                    image_set.save()
            except IntegrityError as error:
                image_set.pk = None
                refused.append((identifier, f"refused by the database: {error}"))
    batch.changed += [image_set.pk for image_set in sets if image_set.pk is not None]
    batch.new = []
    return refused


def changed_now(set_id: int, changed: list[int] | None) -> None:
    """Note a changed set in the caller's list, or queue it now when there is none."""
    if changed is None:
        queue_changes([set_id])
    else:
        changed.append(set_id)


@transaction.atomic
def bury_record(
    source: HarvestSource, identifier: str, datestamp, changed: list[int] | None = None
) -> bool:
    """The source deleted (or closed) the record: its set stays as a tombstone, out of
    search, and the files a curator had copied here go (deleted once this holds; a
    record that comes back is a link again until copied anew). Whether a live set
    was buried."""
    image_set = find_external(source, identifier)
    if image_set is None or image_set.remote_deleted is not None:
        return False
    image_set.remote_deleted = timezone.now()
    image_set.remote_datestamp = datestamp or image_set.remote_datestamp
    image_set.revision += 1
    image_set.save(update_fields=["remote_deleted", "remote_datestamp", "revision", "updated"])
    drop_copies(image_set)
    changed_now(image_set.pk, changed)
    return True


def drop_copies(image_set: ImageSet) -> None:
    """Forget the set's copied files (its images are links again) and delete them
    after the commit."""
    fields = ("pk", "remote", "revision", *COPY_FIELDS)
    copied = list(image_set.images.exclude(storage_key="").only(*fields))
    if not copied:
        return
    stale = [key for image in copied for key in copied_keys(image)]
    for image in copied:
        for name in COPY_FIELDS:
            setattr(image, name, "")
        image.remote = {k: v for k, v in (image.remote or {}).items() if k != "copied"}
        image.revision += 1
    Image.objects.bulk_update(copied, [*COPY_FIELDS, "remote", "revision"], batch_size=1000)
    transaction.on_commit(lambda: delete_stored(stale))


def bury_missing(source: HarvestSource, listed: set[str]) -> int:
    """After a full list: the live sets of records it no longer holds are buried."""
    gone = external_sets(source).exclude(remote_identifier__in=listed)
    identifiers = list(gone.values_list("remote_identifier", flat=True))
    changed: list[int] = []
    with transaction.atomic():
        buried = sum(bury_record(source, identifier, None, changed) for identifier in identifiers)
        queue_changes(changed)
    return buried


def interval_from_text(value: str) -> timedelta:
    """ "30m", "6h", "1d" as a duration (FieldError otherwise)."""
    units = {"m": "minutes", "h": "hours", "d": "days"}
    number, unit = value[:-1], value[-1:]
    if unit not in units or not number.isdigit() or int(number) < 1:
        raise FieldError("interval", f"{value!r} is not a duration such as 30m, 6h or 1d")
    return timedelta(**{units[unit]: int(number)})


def external_sets(source: HarvestSource, *, live: bool = True) -> QuerySet[ImageSet]:
    sets = source.image_sets.all()
    return sets.filter(remote_deleted__isnull=True) if live else sets
