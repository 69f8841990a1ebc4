"""The upload page in a browser: a curator picks the frame rate of a video before
choosing it, and the page's script sends the choice with the file."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Recording
from tests.browser.conftest import (  # noqa: F401 - the browser tests' fixtures
    browser,
    browser_settings,
    one_connection_per_request,
    page,
    people,
    sign_in,
)
from tests.recordings.support import VIDEO

pytestmark = [pytest.mark.services("postgres", "browser"), pytest.mark.django_db(transaction=True)]


def test_the_page_sends_the_chosen_frame_rate(page, sign_in, people, settings):  # noqa: F811
    settings.RECORDING_FRAMES = {"mode": "rate", "rate": 1.0}
    image_set = services.create_image_set(
        title="Observatory clips", owner=people["curator"], actor=SYSTEM
    )
    sign_in(people["curator"])
    page.goto(page.base + reverse("curation:upload", kwargs={"uuid": image_set.uuid}))
    expect(page.locator("#sampling-help")).to_contain_text("1 frame a second")
    page.get_by_label("Frames per second").fill("2")
    page.get_by_label("Choose files to upload").set_input_files(str(VIDEO))
    expect(page.locator("#upload-form")).to_have_attribute("data-done", "1", timeout=60_000)
    expect(page.locator("#queue tbody tr").first).to_have_attribute("data-state", "done")
    recording = Recording.objects.get(image_set=image_set)
    assert recording.derivation["rate"] == 2.0 and recording.derivation["chosen_by"] == "upload"
    assert recording.images.count() == 12
    assert page.errors == []
