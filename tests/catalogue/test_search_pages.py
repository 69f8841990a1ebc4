"""The search pages (/search/, /images/) through Django's test client, on the
database search backend: facets, the taxon tree, URL state, errors, access."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.search_pages import safe_fragment
from catalogue.services import revisions
from tests.catalogue.conftest import real_jpegs
from tests.conftest import index_all
from tests.curation.annotating import annotate

pytestmark = pytest.mark.django_db

CHROMISTA = ["Chromista", "Ochrophyta"]


@pytest.fixture(autouse=True)
def search_settings(local_files_database_search):
    return local_files_database_search


@pytest.fixture
def owner():
    return get_user_model().objects.create_user("owner", password="pw-owner-123")


@pytest.fixture
def sets(owner):
    def published(image, *, bbox, when=(None, None), depths=(None, None), **fields):
        """One of the owner's sets with the one `image`, over `bbox` (west, south,
        east, north), `when` (start, end) and `depths` (min, max), published."""
        west, south, east, north = bbox
        image_set = services.create_image_set(
            owner=owner,
            west=west,
            south=south,
            east=east,
            north=north,
            time_start=when[0],
            time_end=when[1],
            depth_min=depths[0],
            depth_max=depths[1],
            actor=SYSTEM,
            **fields,
        )
        services.ingest(image_set, [image], actor=SYSTEM)
        services.publish_image_set(image_set, actor=SYSTEM)
        return image_set

    diatoms = published(
        real_jpegs(1)[0],
        title="Diatoms of the North Sea",
        description="Weekly FlowCam samples of diatom blooms.",
        instrument="FlowCam",
        platform="RV Simon Stevin",
        taxa=[
            {"scientific_name": "Bacillariophyceae", "rank": "Class", "lineage": CHROMISTA},
            {"scientific_name": "Dinoflagellata", "rank": "Phylum", "lineage": ["Chromista"]},
        ],
        licence="CC-BY-4.0",
        access="open",
        bbox=(2.0, 51.0, 3.5, 52.0),
        when=(datetime(2021, 4, 1, tzinfo=UTC), datetime(2021, 9, 30, tzinfo=UTC)),
        depths=(0, 10),
        doi="10.5072/aquacat.diatoms",
    )
    copepods = published(
        real_jpegs(2)[1],
        title="Copepods <i>in</i> the Baltic",
        description="ZooScan scans of net samples.",
        instrument="ZooScan",
        taxa=[
            {
                "scientific_name": "Calanus finmarchicus",
                "rank": "Species",
                "lineage": ["Animalia", "Arthropoda", "Copepoda"],
            }
        ],
        licence="CC0-1.0",
        access="open",
        bbox=(15.0, 54.0, 20.0, 58.0),
        when=(datetime(2019, 6, 1, tzinfo=UTC), datetime(2019, 7, 31, tzinfo=UTC)),
        depths=(20, 80),
    )
    secret = published(
        real_jpegs(3)[2],
        title="Restricted coral dives",
        description="Not public.",
        instrument="HD camera",
        taxa=[{"scientific_name": "Lophelia pertusa", "lineage": ["Animalia", "Cnidaria"]}],
        licence="CC-BY-NC-4.0",
        access="restricted",
        bbox=(3.0, 60.0, 4.0, 61.0),
    )
    index_all()
    return {"diatoms": diatoms, "copepods": copepods, "secret": secret}


def facet_count(page: str, name: str, value: str) -> int | None:
    """The count shown next to a facet checkbox, or None when it is not there."""
    pattern = (
        rf'name="{name}" value="{re.escape(value)}"[^>]*>\s*'
        r'<span class="value">[^<]*</span>\s*<span class="count">(\d+)</span>'
    )
    found = re.search(pattern, page)
    return int(found.group(1)) if found else None


def test_search_page_shows_results_and_facets_with_counts(client, sets):
    response = client.get("/search/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>2</strong> sets found" in page
    assert "Diatoms of the North Sea" in page
    assert f'href="/sets/{sets["diatoms"].uuid}/"' in page
    # Every facet has its fieldset with a legend.
    for legend in ("Instrument", "Platform", "Licence", "Access", "Taxa", "Year", "Annotated"):
        assert f"<legend>{legend}</legend>" in page
    assert facet_count(page, "instrument", "FlowCam") == 1
    assert facet_count(page, "instrument", "ZooScan") == 1
    assert facet_count(page, "licence", "CC0-1.0") == 1
    assert facet_count(page, "year", "2021") == 1
    # Badges: access, licence, DOI (linked).
    assert 'href="https://doi.org/10.5072/aquacat.diatoms"' in page
    assert '<span class="badge licence">CC-BY-4.0</span>' in page
    # Thumbnails of the set's images.
    image = sets["diatoms"].images.get()
    assert f'src="/files/images/{image.pk}/small"' in page
    # The map's footprints are in the page, as JSON.
    assert 'id="search-footprints"' in page and "[2.0, 51.0, 3.5, 52.0]" in page


def test_taxa_facet_is_a_tree_built_from_the_lineages(client, sets):
    page = client.get("/search/").content.decode()
    tree = page[page.index('id="facet-taxon"') :]
    tree = tree[: tree.index("</fieldset>")]
    # Bacillariophyceae below Chromista, as the Taxon table's lineage (WoRMS's) has
    # it; that lineage wins over the one the set states (Chromista > Ochrophyta).
    chromista = tree.index('value="Chromista"')
    diatoms = tree.index('value="Bacillariophyceae"')
    assert chromista < diatoms
    nested = tree[chromista:diatoms]
    assert nested.count('<ul class="facet-values taxon-tree"') >= 1  # below, not beside
    assert '<span class="rank">Class</span>' in tree
    assert facet_count(tree, "taxon", "Chromista") == 1
    assert facet_count(tree, "taxon", "Arthropoda") == 1
    # Choosing an ancestor finds the sets of its descendants.
    page = client.get("/search/?taxon=Chromista").content.decode()
    assert "Diatoms of the North Sea" in page and "Copepods" not in page
    assert re.search(r'value="Chromista" checked', page)


def test_filters_live_in_the_url_and_narrow_results(client, sets):
    page = client.get("/search/?instrument=ZooScan").content.decode()
    assert "<strong>1</strong> set found" in page
    assert "Copepods" in page and "Diatoms of the North Sea" not in page
    assert re.search(r'name="instrument" value="ZooScan" checked', page)
    # Area, time and depth controls show what the URL holds.
    url = "/search/?bbox=0,50,5,53&time_from=2021-01-01&time_to=2021-12-31&depth_min=5&depth_max=50"
    page = client.get(url).content.decode()
    assert "<strong>1</strong> set found" in page and "Diatoms of the North Sea" in page
    assert 'name="bbox" value="0,50,5,53"' in page
    assert 'name="time_from" value="2021-01-01"' in page
    assert 'name="time_to" value="2021-12-31"' in page
    assert 'name="depth_min" value="5"' in page
    assert "Clear area" in page
    # Depth that overlaps nothing.
    page = client.get("/search/?depth_min=200").content.decode()
    assert "<strong>0</strong> sets found" in page
    # Text with sort; the empty fields of a plain GET form are ignored.
    page = client.get("/search/?q=copepods&sort=newest&bbox=&depth_min=").content.decode()
    assert "<strong>1</strong> set found" in page
    assert '<option value="newest" selected>' in page


def test_paging_with_the_next_page_token(client, sets):
    page = client.get("/search/?sort=newest").content.decode()
    assert 'rel="next"' not in page  # two sets fit one page
    # A forged token is a field error, not a crash.
    response = client.get("/search/?after=nonsense")
    assert response.status_code == 400
    assert "after" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("depth_min=abc", "depth_min"),
        ("bbox=1,2", "bbox"),
        ("bbox=10,0,5,1", "bbox"),
        ("time_from=yesterday", "time_from"),
        ("sort=random", "sort"),
        ("instrumnet=FlowCam", "instrumnet"),
        ("has_annotations=maybe", "has_annotations"),
        ("year=abc", "year"),
        ("depth_min=50&depth_max=10", "depth_min"),
        ("depth_min=1e400", "depth_min"),
        ("bbox=a,b,c,d", "bbox"),
        ("taxon=%00", "taxon"),
        ("time_to=2021-13-45", "time_to"),
        ("page=2", "page"),
    ],
)
def test_bad_parameters_answer_400_naming_the_field(client, sets, query, field):
    for path in ("/search/", "/images/"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400
        page = response.content.decode()
        assert f"<code>{field}</code>" in page
        assert 'role="alert"' in page


def test_extreme_but_valid_values_are_not_errors(client, sets):
    for query in ("time_from=0001-01-01&time_to=9999-12-31", "depth_max=1e300", "q=%00%3C"):
        assert client.get(f"/search/?{query}").status_code == 200
        assert client.get(f"/images/?{query}").status_code == 200


def test_restricted_sets_are_absent_for_anonymous_and_present_for_their_owner(client, sets, owner):
    page = client.get("/search/").content.decode()
    assert "Restricted coral dives" not in page
    assert facet_count(page, "instrument", "HD camera") is None
    assert facet_count(page, "access", "restricted") is None
    assert facet_count(page, "taxon", "Lophelia pertusa") is None
    assert "[3.0, 60.0, 4.0, 61.0]" not in page  # no footprint
    page = client.get("/search/?q=coral").content.decode()
    assert "<strong>0</strong> sets found" in page
    images = client.get("/images/").content.decode()
    assert "Restricted coral dives" not in images
    assert "<strong>2</strong> images found" in images

    client.force_login(owner)
    page = client.get("/search/").content.decode()
    assert "Restricted coral dives" in page
    assert facet_count(page, "instrument", "HD camera") == 1
    assert facet_count(page, "access", "restricted") == 1
    assert "[3.0, 60.0, 4.0, 61.0]" in page
    assert "<strong>3</strong> images found" in client.get("/images/").content.decode()


def test_html_in_titles_and_highlights_is_escaped(client, sets):
    page = client.get("/search/").content.decode()
    assert "Copepods &lt;i&gt;in&lt;/i&gt; the Baltic" in page
    assert "<i>in</i>" not in page
    page = client.get("/search/?q=copepods").content.decode()
    assert "<mark>Copepods</mark> &lt;i&gt;in&lt;/i&gt; the Baltic" in page
    # Whatever a backend sends, only <mark>/<em> survive as markup.
    assert safe_fragment("<em>a</em> <script>x</script> &amp; b") == (
        "<mark>a</mark> &lt;script&gt;x&lt;/script&gt; &amp; b"
    )


def test_image_search_grid_filtered_by_taxon(client, sets):
    page = client.get("/images/").content.decode()
    assert "<strong>2</strong> images found" in page
    image = sets["diatoms"].images.get()
    assert f'href="/sets/{sets["diatoms"].uuid}/#image-{image.pk}"' in page
    assert image.file_name in page
    # No image is annotated yet: a taxon filter leaves none.
    page = client.get("/images/?taxon=Bacillariophyceae").content.decode()
    assert "<strong>0</strong> images found" in page
    # Annotated (as a sidecar import would), an image is found by its taxon and its ancestors.
    annotate(image, "Bacillariophyceae")
    revisions.set_changed(sets["diatoms"], with_images=True)
    index_all()
    page = client.get("/images/?taxon=Chromista").content.decode()
    assert "<strong>1</strong> image found" in page
    assert image.file_name in page
    assert re.search(r'value="Chromista" checked', page)
    assert facet_count(page, "label", "Bacillariophyceae") == 1


def test_home_has_a_search_box_counts_and_newest_public_sets(client, sets):
    page = client.get("/").content.decode()
    assert 'action="/search/"' in page and 'name="q"' in page
    assert "<strong>2</strong> image sets" in page
    assert "Diatoms of the North Sea" in page
    assert "Restricted coral dives" not in page
