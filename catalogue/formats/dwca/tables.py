"""The archive's files: their row types, their columns (Darwin Core, Dublin Core,
Audubon Core, OBIS term URIs) and their tab-separated text."""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT_NS = "http://rs.tdwg.org/dwc/text/"
DWC = "http://rs.tdwg.org/dwc/terms/"
DCTERMS = "http://purl.org/dc/terms/"
DC = "http://purl.org/dc/elements/1.1/"
AC = "http://rs.tdwg.org/ac/terms/"
EXIF = "http://ns.adobe.com/exif/1.0/"
XMP = "http://ns.adobe.com/xap/1.0/"
XMP_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"
OBIS = "http://rs.iobis.org/obis/terms/"

EVENT = DWC + "Event"
OCCURRENCE = DWC + "Occurrence"
MULTIMEDIA = AC + "Multimedia"
EMOF = OBIS + "ExtendedMeasurementOrFact"


@dataclass
class Table:
    """One data file: its row type, its columns (term URIs; the first is the id or
    core id) and its rows."""

    location: str
    row_type: str
    terms: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, values: dict[str, object]) -> None:
        unknown = set(values) - set(self.terms)
        assert not unknown, unknown
        self.rows.append([_cell(values.get(term)) for term in self.terms])

    def text(self) -> str:
        header = [term.rsplit("/", 1)[-1] for term in self.terms]
        return "".join("\t".join(row) + "\n" for row in [header, *self.rows])


def _cell(value: object) -> str:
    """Tab-separated text has no quoting: tabs and line breaks become spaces."""
    if value is None:
        return ""
    if isinstance(value, float):
        value = repr(value)
    return " ".join(str(value).replace("\t", " ").splitlines())


def event_table() -> Table:
    names = (
        "eventID parentEventID datasetID datasetName eventDate decimalLatitude decimalLongitude "
        "geodeticDatum coordinateUncertaintyInMeters footprintWKT minimumDepthInMeters "
        "maximumDepthInMeters fieldNumber samplingProtocol"
    )
    return Table("event.txt", EVENT, [DWC + n for n in names.split()])


def occurrence_table() -> Table:
    names = (
        "eventID occurrenceID basisOfRecord occurrenceStatus individualCount scientificName "
        "scientificNameID scientificNameAuthorship taxonRank kingdom verbatimIdentification "
        "identifiedBy dateIdentified identificationVerificationStatus associatedMedia "
        "eventDate decimalLatitude decimalLongitude minimumDepthInMeters maximumDepthInMeters"
    )
    return Table("occurrence.txt", OCCURRENCE, [DWC + n for n in names.split()])


def media_table() -> Table:
    terms = [
        DWC + "eventID",
        DCTERMS + "identifier",
        DC + "type",
        DCTERMS + "title",
        AC + "accessURI",
        DC + "format",
        EXIF + "PixelXDimension",
        EXIF + "PixelYDimension",
        XMP + "CreateDate",
        AC + "hashFunction",
        AC + "hashValue",
        AC + "captureDevice",
        DCTERMS + "rights",
        XMP_RIGHTS + "UsageTerms",
        AC + "furtherInformationURL",
    ]
    return Table("multimedia.txt", MULTIMEDIA, terms)


def emof_table() -> Table:
    names = (
        "measurementType measurementTypeID measurementValue measurementValueID "
        "measurementUnit measurementUnitID"
    )
    terms = [DWC + "eventID"] + [
        (OBIS if name.endswith("ID") else DWC) + name for name in names.split()
    ]
    return Table("extendedmeasurementorfact.txt", EMOF, terms)
