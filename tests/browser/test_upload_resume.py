"""A 200 MB archive uploaded from the upload page in resumable chunks: the browser
goes offline mid-way, comes back, the page resumes from the offset the server holds,
a real worker ingests the archive and the page shows its report."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import curators_draft
from tests.catalogue.conftest import real_jpegs, s3_storages
from tests.catalogue.uploads_support import zip_of

pytestmark = [pytest.mark.services("browser", "redis"), pytest.mark.django_db(transaction=True)]

SIZE = 200 * 1024**2
IMAGES = 12


def test_a_cut_upload_resumes_and_its_report_is_shown(
    page, sign_in, people, shoot, start_worker, settings, tmp_path
):
    staging = tmp_path / "staging"
    # The worker reads the staged upload where the live server wrote it, and stores
    # the images in the folder the live server serves them from.
    worker = start_worker(
        "ui-uploads",
        S3_BUCKET="",
        MEDIA_ROOT=str(tmp_path / "media"),
        UPLOAD_STAGING_DIR=str(staging),
    )
    settings.UPLOAD_QUEUE = worker.queue
    settings.UPLOAD_STAGING_DIR = staging
    image_set = curators_draft(people, title="Cut and resumed")
    archive = zip_of(real_jpegs(IMAGES), tmp_path / "flowcam-export.zip", padding=SIZE)

    patches: list[int] = []
    heads: list[str] = []

    def watch(request):
        if "/api/v1/uploads/" not in request.url:
            return
        if request.method == "PATCH":
            patches.append(int(request.headers["upload-offset"]))
        elif request.method == "HEAD":
            heads.append(request.url)

    page.on("request", watch)
    sign_in(people["curator"])
    page.goto(page.base + reverse("curation:upload", args=[image_set.uuid]))
    page.get_by_label("Choose files to upload").set_input_files(str(archive))

    row = page.locator("#queue tbody tr").first
    bar = row.locator("progress")
    page.wait_for_function(
        "b => b.max > 0 && b.value / b.max > 0.25", arg=bar.element_handle(), timeout=120_000
    )
    page.context.set_offline(True)
    expect(row.locator(".state")).to_contain_text("Connection lost", timeout=60_000)
    sent_before = len(patches)
    page.wait_for_timeout(1500)
    page.context.set_offline(False)

    form = page.locator("#upload-form")
    try:
        expect(form).to_have_attribute("data-done", "1", timeout=240_000)
    except AssertionError as error:
        raise AssertionError(f"upload not done: {row.inner_text()}") from error
    # It resumed where the server stood (it asked), without starting again from 0.
    assert heads, "the page never asked the server what it holds"
    resumed = patches[sent_before:]
    assert resumed and min(resumed) > 0
    assert patches == sorted(patches)

    report = page.locator("#report")
    expect(report.locator("[data-count=added]")).to_have_text(str(IMAGES))
    rejected = report.locator("table.rejected tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("td").first).to_have_text("padding.bin")
    assert bar.evaluate("b => b.value === b.max && b.max > 0")
    assert image_set.images.count() == IMAGES
    assert not any(staging.iterdir()), "the staged upload was left behind"
    assert not [e for e in page.errors if "ERR_INTERNET_DISCONNECTED" not in e]
    shoot(page, "upload-resumed-report")


@pytest.mark.services("s3")
def test_straight_to_s3_in_parts_that_survive_a_cut(
    page, sign_in, people, start_worker, settings, tmp_path
):
    """With S3 storage the page PUTs each part to a presigned URL (S3 checks its sha256);
    a part cut off is sent again, and the worker ingests the assembled object."""
    staging = tmp_path / "staging"
    worker = start_worker("ui-uploads-s3", UPLOAD_STAGING_DIR=str(staging))
    settings.UPLOAD_QUEUE = worker.queue
    settings.UPLOAD_STAGING_DIR = staging
    settings.UPLOAD_PART_BYTES = 5 * 1024**2
    settings.STORAGES = s3_storages(f"tests/{uuid.uuid4().hex}")
    image_set = curators_draft(people, title="Straight to S3")
    archive = zip_of(real_jpegs(IMAGES), tmp_path / "to-s3.zip", padding=30 * 1024**2)
    puts: list[str] = []
    page.on(
        "request",
        lambda request: (
            puts.append(parse_qs(urlparse(request.url).query)["partNumber"][0])
            if request.method == "PUT"
            else None
        ),
    )
    sign_in(people["curator"])
    page.goto(page.base + reverse("curation:upload", args=[image_set.uuid]))
    page.get_by_label("Choose files to upload").set_input_files(str(archive))
    row = page.locator("#queue tbody tr").first
    page.wait_for_function(
        "b => b.max > 0 && b.value / b.max > 0.3",
        arg=row.locator("progress").element_handle(),
        timeout=120_000,
    )
    page.context.set_offline(True)
    expect(row.locator(".state")).to_contain_text("Connection lost", timeout=60_000)
    page.context.set_offline(False)
    expect(page.locator("#upload-form")).to_have_attribute("data-done", "1", timeout=240_000)
    expect(page.locator("#report [data-count=added]")).to_have_text(str(IMAGES))
    assert sorted(set(puts), key=int) == [str(n) for n in range(1, 8)]
    assert image_set.images.count() == IMAGES


TSV_ISSUES = Path(__file__).parent.parent / "catalogue" / "ecotaxa_samples" / "tsv_issues"


def test_a_reloaded_page_resumes_the_upload_and_lists_a_bad_tsvs_problems(
    page, sign_in, people, start_worker, settings, tmp_path
):
    """The tab is reloaded mid-upload: the page lists the unfinished upload, the same
    file chosen again resumes from what the server holds (the hash of the bytes sent
    before is read again, nothing is sent twice), and the worker's report lists every
    problem of the EcoTaxa TSV inside the archive, as the page does for small files."""
    staging = tmp_path / "staging"
    worker = start_worker(
        "ui-uploads-reload",
        S3_BUCKET="",
        MEDIA_ROOT=str(tmp_path / "media"),
        UPLOAD_STAGING_DIR=str(staging),
    )
    settings.UPLOAD_QUEUE = worker.queue
    settings.UPLOAD_STAGING_DIR = staging
    image_set = curators_draft(people, title="Reloaded and resumed")
    members = [*real_jpegs(IMAGES), *sorted(TSV_ISSUES.iterdir())]
    archive = zip_of(members, tmp_path / "m106-export.zip", padding=120 * 1024**2)
    patches: list[int] = []
    page.on(
        "request",
        lambda request: (
            patches.append(int(request.headers["upload-offset"]))
            if request.method == "PATCH" and "/api/v1/uploads/" in request.url
            else None
        ),
    )
    sign_in(people["curator"])
    upload_page = page.base + reverse("curation:upload", args=[image_set.uuid])
    page.goto(upload_page)
    page.get_by_label("Choose files to upload").set_input_files(str(archive))
    bar = page.locator("#queue tbody tr progress").first
    page.wait_for_function(
        "b => b.max > 0 && b.value / b.max > 0.2", arg=bar.element_handle(), timeout=120_000
    )
    page.reload()
    unfinished = page.locator("#unfinished-uploads tbody tr")
    expect(unfinished).to_have_count(1)
    expect(unfinished.locator(".file")).to_have_text("m106-export.zip")
    before = len(patches)

    page.get_by_label("Choose files to upload").set_input_files(str(archive))
    form = page.locator("#upload-form")
    row = page.locator("#queue tbody tr").first
    try:
        expect(form).to_have_attribute("data-done", "1", timeout=240_000)
    except AssertionError as error:
        raise AssertionError(f"upload not done: {row.inner_text()}") from error
    resumed = patches[before:]
    assert resumed and resumed[0] > 0, "the reloaded page started again from byte 0"
    assert patches == sorted(patches)

    report = page.locator("#report")
    # Of the TSV's folder, the two images it does not describe go in; the ones it
    # describes are held back with it.
    expect(report.locator("[data-count=added]")).to_have_text(str(IMAGES + 2))
    heading = report.get_by_role(
        "heading", name="Problems in tsv_issues/ecotaxa_m106_mn01_n3_sml.tsv"
    )
    expect(heading).to_be_visible()
    problems = report.locator("table.problems tbody tr")
    expect(problems).to_have_count(12)
    expect(problems.filter(has_text="object_annotation_time").locator(".value")).to_have_text(
        "5:31"
    )
    expect(report.locator("table.rejected")).to_contain_text(
        "12 problems: nothing of this file, nor of the images it describes, was imported"
    )
    page.reload()
    expect(page.locator("#unfinished-uploads")).to_have_count(0)
    assert not any(staging.iterdir()), "the staged upload was left behind"
