"""More like this: from the image grid to the neighbours of an image."""

from inference.services import start_embedding
from inference.services.batches import process_batch


def test_more_like_this_from_the_image_grid(page, shoot, browse_catalogue, people):
    job = start_embedding(user=people["curator"], batch_size=64)
    for batch in job.batches.order_by("number"):
        process_batch(batch.pk)
    page.goto(page.base + "/images/")
    page.get_by_role("link", name="More like this").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="More like this").is_visible()
    neighbours = page.get_by_role("list", name="Similar images, most similar first")
    items = neighbours.get_by_role("listitem")
    # 9 other public images; the restricted set's two are never among them.
    assert items.count() == 9
    assert "Restricted ciliate survey" not in page.content()
    assert not page.errors
    shoot(page, "similar-images")
