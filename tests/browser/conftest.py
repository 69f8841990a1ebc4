"""Browser tests: Debian's Chromium, headless, driven by Playwright, against the
portal served by pytest-django's live server (a real threaded HTTP server on
the test database, static files included).

`shoot(page, name)` saves full-page screenshots at desktop and mobile widths
into artifacts/screenshots/ (CI keeps artifacts/).
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from playwright.sync_api import sync_playwright

from catalogue import services
from catalogue.access import SYSTEM
from tests.catalogue.conftest import jpeg_with_exif, real_jpegs
from tests.conftest import ARTIFACTS, IN_CI, index_all, service_unavailable

SCREENSHOTS = ARTIFACTS / "screenshots"
ROOT_VENDOR = Path(__file__).resolve().parent / "vendor"  # test-only assets (axe-core)
DESKTOP = {"width": 1366, "height": 900}
MOBILE = {"width": 390, "height": 844}
# Without these, Chromium keeps trying to reach Google's services, which this
# machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

BROWSER_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Every test here needs Chromium, like a service: under CI a missing browser
    fails the test (tests/conftest.py). A `pytestmark` in a conftest is ignored by
    pytest, so the mark is put on the items themselves."""
    for item in items:
        if BROWSER_TESTS in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.services("browser"))


@pytest.fixture(scope="session", autouse=True)
def one_connection_per_request():
    """The live server answers Chromium's keep-alive connections in long-lived
    threads; with persistent database connections each would hold a session
    open, and the test database could not be dropped at the end."""

    database = connections.settings["default"]
    kept = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    yield
    database["CONN_MAX_AGE"] = kept


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module. While Playwright runs, its event loop runs in
    this thread, so the ORM calls the tests make (plain synchronous code) need
    Django's async-safety check off; it is on again once the module is done, and
    never reaches the other tests or their subprocesses."""
    reason = service_unavailable("browser")
    if reason:
        if IN_CI:
            pytest.fail(f"browser is required under CI but unavailable: {reason}", False)
        pytest.skip(f"no Chromium ({reason}); install it with scripts/services up browser")

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    profiles = tempfile.TemporaryDirectory(prefix="aquacat-chromium-")
    with profiles as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=os.environ.get("AQUACAT_CHROMIUM", "/usr/bin/chromium"),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=DESKTOP,
            locale="en-GB",
            timezone_id="UTC",
            permissions=["clipboard-read", "clipboard-write"],
        )
        yield context
        context.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server):
    """A fresh tab on the live server, with console errors collected."""
    page = browser.new_page()
    page.set_viewport_size(DESKTOP)
    page.set_default_timeout(15_000)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "console",
        lambda message: page.errors.append(message.text) if message.type == "error" else None,
    )
    page.base = live_server.url
    browser.clear_cookies()
    yield page
    page.close()


@pytest.fixture
def shoot():
    """Screenshots of the page as it is, at desktop then mobile width."""

    def take(page, name: str) -> list[Path]:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^a-z0-9-]+", "-", name.lower())
        paths = []
        for label, size in (("desktop", DESKTOP), ("mobile", MOBILE)):
            page.set_viewport_size(size)
            page.wait_for_timeout(150)  # let the layout (and maps) settle
            path = SCREENSHOTS / f"{safe}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            paths.append(path)
        page.set_viewport_size(DESKTOP)
        return paths

    return take


@pytest.fixture
def sign_in(page):
    """Sign `user` in through the sign-in form (the real page, not a cookie trick)."""

    def login(user, password: str = PASSWORD) -> None:
        user.set_password(password)
        user.save()
        page.goto(f"{page.base}/accounts/login/")
        page.get_by_label("Username").fill(user.get_username())
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return login


# --- A small catalogue to browse -------------------------------------------------

PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def browser_settings(local_files_database_search):
    """Local files and the database search backend, indexed synchronously (index_all)."""
    return local_files_database_search


@pytest.fixture
def people(transactional_db):

    users = get_user_model().objects
    return {
        "curator": users.create_user("marina", password=PASSWORD, first_name="Marina"),
        "other": users.create_user("otto", password=PASSWORD),
    }


def curators_draft(people, *, images: int = 0, **fields):
    """A draft of the curator's under CC-BY-4.0, with `images` real images."""
    image_set = services.create_image_set(
        licence="CC-BY-4.0", owner=people["curator"], actor=SYSTEM, **fields
    )
    if images:
        services.ingest(image_set, real_jpegs(images), actor=SYSTEM)
    return image_set


@pytest.fixture
def browse_catalogue(people, tmp_path):
    """Three sets: two public ones in different seas with real FlowCam images
    (positions in EXIF), and a restricted one nobody signed out may see."""

    def images(klass: str, count: int, lat: float, lon: float, depth: float, folder: str):
        target = tmp_path / folder
        target.mkdir()
        return [
            jpeg_with_exif(
                source,
                target / source.name,
                lat=lat + i * 0.1,
                lon=lon + i * 0.1,
                depth=depth + i,
                when=datetime(2021, 6, 1 + i, 10, tzinfo=UTC),
            )
            for i, source in enumerate(real_jpegs(count, klass))
        ]

    def published(files, **fields):
        image_set = services.create_image_set(owner=people["curator"], actor=SYSTEM, **fields)
        services.ingest(image_set, files, actor=SYSTEM)
        services.publish_image_set(image_set, actor=SYSTEM)
        return image_set

    baltic = published(
        images("Dinoflagellata", 6, 59.0, 20.0, 5.0, "baltic"),
        title="Baltic Sea dinoflagellates, FlowCam 2021",
        description="Dinoflagellate particle images from a FlowCam on a research vessel.",
        creators=[
            {
                "name": "Lindqvist, Marina",
                "orcid": "0000-0002-1825-0097",
                "affiliation": "Baltic Institute",
            }
        ],
        licence="CC-BY-4.0",
        access="open",
        keywords=["phytoplankton", "Baltic Sea"],
        instrument="FlowCam",
        platform="RV Aranda",
        modality="flow-imaging",
        taxa=[{"scientific_name": "Dinoflagellata", "rank": "Phylum", "aphia_id": 19542}],
        research_infrastructure="LifeWatch",
        doi="10.5072/aquacat.baltic.2021",
    )
    med = published(
        images("Bacillariophyceae", 4, 40.0, 5.0, 20.0, "med"),
        title="Mediterranean diatoms, ZooScan 2021",
        description="Diatom scans from net samples in the western Mediterranean.",
        creators=[{"name": "Rossi, Giulia"}],
        licence="CC0-1.0",
        access="open",
        instrument="ZooScan",
        platform="Point B",
        modality="scanner",
        taxa=[{"scientific_name": "Bacillariophyceae", "rank": "Class", "aphia_id": 148899}],
    )
    hidden = published(
        images("Ciliophora", 2, 59.5, 20.5, 3.0, "hidden"),
        title="Restricted ciliate survey",
        description="Not public.",
        access="restricted",
        instrument="FlowCam",
    )
    index_all()
    for image_set in (baltic, med, hidden):
        image_set.refresh_from_db()
    return {"baltic": baltic, "med": med, "hidden": hidden}
