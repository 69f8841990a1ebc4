"""Writing the database index: versioned upserts, deletions, a kind cleared.

An entry is replaced only by a newer revision: the upsert's WHERE clause makes
a concurrent or late older write a no-op. Its SearchValue rows and its text are
rewritten with it, in the same transaction.
"""

from __future__ import annotations

from django.db import DataError, IntegrityError, connection, transaction

from catalogue.search.backends.base import IndexFailure
from catalogue.search.backends.database.rows import Malformed, Row, document_id, prepare
from catalogue.search.backends.database.vendor import Vendor
from catalogue.search.dbindex import SearchEntry, SearchValue

BATCH = 200  # documents per INSERT statement


def index(kind: str, documents: list, vendor: Vendor) -> list[IndexFailure]:
    """Upsert documents, the newest revision of each; a document the checks or the
    database refuse fails alone and is returned."""
    failures: list[IndexFailure] = []
    newest: dict[int, Row] = {}
    for document in documents:
        try:
            row = prepare(kind, document)
        except Malformed as error:
            failures.append(IndexFailure(kind, document_id(document), str(error)))
            continue
        if row.object_id not in newest or newest[row.object_id].revision < row.revision:
            newest[row.object_id] = row
    # Rows in id order: concurrent writers lock them in the same order.
    rows = [newest[object_id] for object_id in sorted(newest)]
    for batch in chunks(rows, BATCH):
        try:
            with transaction.atomic():
                write(batch, vendor)
        except (DataError, IntegrityError):
            for row in batch:  # find the ones the database refuses
                try:
                    with transaction.atomic():
                        write([row], vendor)
                except (DataError, IntegrityError) as error:
                    reason = f"refused by the database: {error}".strip()
                    failures.append(IndexFailure(kind, row.object_id, reason))
    return failures


def write(rows: list[Row], vendor: Vendor) -> None:
    """Upsert rows whose revision is newer than the stored one, then rewrite their
    values and text."""
    quote = connection.ops.quote_name
    meta = SearchEntry._meta
    fields = {field.name: field for field in meta.concrete_fields}
    names = list(rows[0].columns)
    columns = [quote(name) for name in names]
    placeholders = ["%s"] * len(names)
    text_column = vendor.text_column()
    if text_column is not None:
        columns.append(quote(text_column[0]))
        placeholders.append(text_column[1])
    params: list = []
    for row in rows:
        params += [fields[name].get_db_prep_save(row.columns[name], connection) for name in names]
        if text_column is not None:
            params += vendor.text_params(row)
    table = quote(meta.db_table)
    key = {quote("kind"), quote("object_id")}
    updates = [f"{column} = excluded.{column}" for column in columns if column not in key]
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 - no input
        + ", ".join(f"({', '.join(placeholders)})" for _ in rows)
        + f" ON CONFLICT ({quote('kind')}, {quote('object_id')}) DO UPDATE SET "
        + ", ".join(updates)
        + f" WHERE {table}.{quote('revision')} < excluded.{quote('revision')}"
        + f" RETURNING {quote('id')}, {quote('object_id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = {object_id: entry_id for entry_id, object_id in cursor.fetchall()}
    if not written:
        return
    by_id = {row.object_id: row for row in rows}
    SearchValue.objects.filter(entry_id__in=list(written.values())).delete()
    SearchValue.objects.bulk_create(
        [
            SearchValue(entry_id=entry_id, field=name, value=value)
            for object_id, entry_id in written.items()
            for name, value in sorted(by_id[object_id].values)
        ],
        batch_size=500,
    )
    vendor.write_text([(entry_id, by_id[object_id]) for object_id, entry_id in written.items()])


def delete(kind: str, ids: list[int], vendor: Vendor) -> None:
    """Remove the entries of these objects; ids not indexed are ignored."""
    with transaction.atomic():
        for batch in chunks(sorted(set(ids)), 500):
            entries = SearchEntry.objects.filter(kind=kind, object_id__in=batch)
            entry_ids = list(entries.values_list("id", flat=True))
            SearchValue.objects.filter(entry_id__in=entry_ids).delete()
            vendor.delete_text(entry_ids)
            SearchEntry.objects.filter(id__in=entry_ids).delete()


def clear(kind: str, vendor: Vendor) -> None:
    """Remove every entry of a kind (call inside a transaction)."""
    SearchValue.objects.filter(entry__kind=kind).delete()
    vendor.clear_text(kind)
    SearchEntry.objects.filter(kind=kind).delete()


def analyze() -> None:
    """Fresh statistics, so the planner knows how selective each index is."""
    with connection.cursor() as cursor:
        for model in (SearchEntry, SearchValue):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
