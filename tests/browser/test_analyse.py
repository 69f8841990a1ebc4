"""A curator runs a model on a set from the UI; a real Celery worker runs the job
while the progress page follows it; the landing page then shows the enrichment."""

import pytest

from tests.inference.conftest import register_shipped


@pytest.mark.services("redis")
def test_run_a_model_and_follow_its_progress(
    page, shoot, browse_catalogue, people, sign_in, start_worker, settings, tmp_path
):
    # The worker reads the images where the live server stored them.
    worker = start_worker("ui-analyse", S3_BUCKET="", MEDIA_ROOT=str(tmp_path / "media"))
    settings.INFERENCE_QUEUE = worker.queue
    register_shipped()
    baltic = browse_catalogue["baltic"]
    sign_in(people["curator"])
    page.goto(page.base + "/curate/")
    page.get_by_role("link", name=f"Run a model on {baltic.title}").click()
    page.get_by_role("button", name="Run on 6 images").click()
    page.wait_for_load_state()
    assert "queued" in page.locator(".messages").inner_text()
    shoot(page, "job-progress")
    # The page refreshes itself every 3 s until the job is done.
    page.wait_for_function(
        "['Done', 'Failed'].includes(document.querySelector('.state').textContent.trim())",
        timeout=120_000,
    )
    assert page.locator(".state").inner_text() == "Done", page.locator("article").inner_text()
    assert page.locator(".progress").inner_text() == "6/6"
    page.get_by_role("link", name=baltic.title).click()
    page.wait_for_load_state()
    enrichments = page.locator("section.enrichments")
    assert "flowcam-phytoplankton" in enrichments.inner_text()
    assert not page.errors
    shoot(page, "landing-enriched")
