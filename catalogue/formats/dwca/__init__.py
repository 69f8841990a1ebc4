"""Darwin Core Archive of a set, for OBIS, GBIF and EMODnet Biology, as EcoTaxa makes one.

    meta.xml                        what each file is: row types and term URIs
    eml.xml                         the dataset's EML (eml.py)
    event.txt                       Event core: the set, and one event per sample
    occurrence.txt                  Occurrence extension: validated annotations
    multimedia.txt                  Audubon Core extension: the images
    extendedmeasurementorfact.txt   eMoF: the imaging instrument, with its NVS URI

Events: the set is the parent event (its coverage: dates, bounding box or
polygon as footprintWKT, depths); images carrying EcoTaxa `sample_id` (or
`sample_stationid`) fields form one child event per sample, whose date, place
and depths span its images. Occurrences: as EcoTaxa counts objects per sample
and taxon, one occurrence per image and taxon, `individualCount` its validated
annotations; position, time and depth are the image's own. Only validated
annotations count: a prediction or a dubious label is no record. Identifiers
stay the same in every version of the set: they are made of the set's concept
UUID, the sample name, the image's SHA-256 and the AphiaID.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from catalogue.formats.dwca import eml
from catalogue.formats.dwca.records import Archive, build
from catalogue.formats.dwca.tables import TEXT_NS
from catalogue.models import ImageSet

__all__ = ["Archive", "build", "meta_xml", "to_zip"]

# A fixed time for every member: the same set gives the same bytes.
STAMP = (2020, 1, 1, 0, 0, 0)


def meta_xml(archive: Archive) -> bytes:
    """meta.xml: each file's row type, layout, and the term of each column."""
    root = etree.Element(f"{{{TEXT_NS}}}archive", metadata="eml.xml", nsmap={None: TEXT_NS})
    for number, table in enumerate(archive.tables()):
        element = etree.SubElement(
            root,
            f"{{{TEXT_NS}}}{'core' if number == 0 else 'extension'}",
            {
                "encoding": "UTF-8",
                # Written as the two characters backslash-t, as the text guide has it.
                "fieldsTerminatedBy": "\\t",
                "linesTerminatedBy": "\\n",
                "fieldsEnclosedBy": "",
                "ignoreHeaderLines": "1",
                "rowType": table.row_type,
            },
        )
        files = etree.SubElement(element, f"{{{TEXT_NS}}}files")
        etree.SubElement(files, f"{{{TEXT_NS}}}location").text = table.location
        etree.SubElement(element, f"{{{TEXT_NS}}}{'id' if number == 0 else 'coreid'}", index="0")
        for index, term in enumerate(table.terms):
            etree.SubElement(element, f"{{{TEXT_NS}}}field", index=str(index), term=term)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def to_zip(image_set: ImageSet, *, base: str | None = None) -> bytes:
    archive = build(image_set, base=base)
    taxa = sorted(archive.taxa.values(), key=lambda pair: pair[1])
    members = {
        "meta.xml": meta_xml(archive),
        "eml.xml": eml.to_xml(image_set, base=base, taxa=taxa),
        **{table.location: table.text().encode() for table in archive.tables()},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            member = zipfile.ZipInfo(name, STAMP)
            member.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(member, data)
    return out.getvalue()
