"""The home page lists what the caller may see, with thumbnails."""

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from tests.catalogue.conftest import real_jpegs

pytestmark = pytest.mark.django_db


def test_home_lists_visible_sets_with_thumbnails(client, storage):
    public = services.create_image_set(title="Open <b>diatoms</b>", actor=SYSTEM)
    services.ingest(public, [real_jpegs(1)[0]], actor=SYSTEM)
    services.publish_image_set(public, actor=SYSTEM)
    services.create_image_set(title="Secret draft", actor=SYSTEM)
    page = client.get("/").content.decode()
    assert "Open &lt;b&gt;diatoms&lt;/b&gt;" in page  # HTML in titles is escaped
    assert "Secret draft" not in page
    image = public.images.get()
    assert f'src="/files/images/{image.pk}/small"' in page
