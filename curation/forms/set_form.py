"""The main form of a set's edit page: its scalar fields, checked for shape, with NVS
term labels and URIs filled from each other."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from catalogue.models import Access, ImageSet, Modality
from catalogue.vocabularies import licence_choices, nvs
from curation.forms.widgets import DATETIME_FORMAT, DateTimeLocal, TermInput


class ImageSetForm(forms.Form):
    title = forms.CharField(max_length=500, required=False)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What the images show, how and why they were taken.",
    )
    version = forms.CharField(max_length=50, required=False, help_text="e.g. 1.0")
    licence = forms.ChoiceField(choices=licence_choices, required=False)
    access = forms.ChoiceField(
        choices=Access.choices,
        widget=forms.RadioSelect,
        help_text=(
            "Embargoed sets are hidden until the date; under a files embargo the metadata "
            "is public once published and the images and files open on the date. "
            "Restricted sets are seen only by their owner, curators and staff."
        ),
    )
    embargo_until = forms.DateField(
        required=False,
        label="Embargo until",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Needed for an embargo: the set (or its files) opens on this date.",
    )
    keywords = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Separated by commas or new lines.",
    )
    modality = forms.ChoiceField(choices=[("", "—"), *Modality.choices], required=False)
    west = forms.FloatField(required=False, help_text="Degrees east, -180 to 180 (WGS84).")
    south = forms.FloatField(required=False, help_text="Degrees north, -90 to 90.")
    east = forms.FloatField(
        required=False, help_text="-180 to 180; west greater than east crosses the antimeridian."
    )
    north = forms.FloatField(required=False, help_text="Degrees north, -90 to 90.")
    time_start = forms.DateTimeField(required=False, label="From (UTC)", widget=DateTimeLocal())
    time_end = forms.DateTimeField(required=False, label="To (UTC)", widget=DateTimeLocal())
    depth_min = forms.FloatField(required=False, label="Shallowest (m)", help_text="Positive down.")
    depth_max = forms.FloatField(required=False, label="Deepest (m)", help_text="Positive down.")
    platform = forms.CharField(
        max_length=200,
        required=False,
        widget=TermInput(nvs.PLATFORM),
        help_text="Research vessel, mooring, ROV… Type to choose an NVS platform category "
        "(L06); other text is kept as written.",
    )
    platform_uri = forms.CharField(
        max_length=300,
        required=False,
        label="Platform term (NVS URI)",
        help_text="Filled from the category chosen above; or paste an L06 term URI.",
    )
    instrument = forms.CharField(
        max_length=200,
        required=False,
        widget=TermInput(nvs.INSTRUMENT),
        help_text="FlowCam, UVP6, IFCB… Type to choose an NVS device (L22) or device "
        "category (L05); other text is kept as written.",
    )
    instrument_uri = forms.CharField(
        max_length=300,
        required=False,
        label="Instrument term (NVS URI)",
        help_text="Filled from the device chosen above; or paste an L22 or L05 term URI.",
    )
    research_infrastructure = forms.CharField(max_length=200, required=False)
    station = forms.CharField(
        max_length=64,
        required=False,
        help_text="The station or site code the images come from (e.g. EMSO-OBSEA); sets "
        "sharing a code make one time series.",
    )

    SCALARS = (
        "title", "description", "version", "licence", "access", "embargo_until", "modality",
        "west", "south", "east", "north", "time_start", "time_end", "depth_min", "depth_max",
        "platform", "platform_uri", "instrument", "instrument_uri", "research_infrastructure",
        "station",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_start"].input_formats = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M"]
        self.fields["time_end"].input_formats = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M"]

    @staticmethod
    def initial_from(image_set: ImageSet) -> dict:
        initial = {name: getattr(image_set, name) for name in ImageSetForm.SCALARS}
        for name in ("time_start", "time_end"):
            if initial[name]:
                initial[name] = timezone.localtime(initial[name]).replace(microsecond=0)
        initial["keywords"] = ", ".join(image_set.keywords or [])
        return initial

    def clean_title(self):
        return (self.cleaned_data.get("title") or "").strip()

    def clean(self):
        data = super().clean()
        for kind in nvs.KINDS.values():
            self._clean_term(kind, data)
        return data

    def _clean_term(self, kind: nvs.Kind, data: dict) -> None:
        """The URI checked and made canonical; a label that names an offered term exactly
        brings its URI (a newly chosen term wins over the URI left from before); a URI
        alone brings its label."""
        if kind.uri_field in self.errors or kind.label_field in self.errors:
            return
        label = (data.get(kind.label_field) or "").strip()
        try:
            uri = nvs.check_uri(kind, data.get(kind.uri_field) or "")
            uri = nvs.term_for_label(kind, label) or uri
            label = nvs.fill_label(kind, uri, label)
        except nvs.TermError as error:
            self.add_error(kind.uri_field, str(error))
            return
        data[kind.uri_field] = uri
        data[kind.label_field] = label
