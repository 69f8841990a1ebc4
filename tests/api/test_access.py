"""The access matrix: every role against every access state, on every read path."""

import pytest

from tests.api.conftest import ACCESS, ROLES, allowed, client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ROLES)
def test_detail_list_search_files(people, catalogue, who):
    client = client_for(who, people)
    visible = {kind for kind in ACCESS if allowed(who, kind)}

    for kind, image_set in catalogue.items():
        response = client.get(f"/api/v1/image-sets/{image_set.pk}/")
        assert response.status_code == (200 if kind in visible else 404), (who, kind)
        if kind not in visible:
            assert response["Content-Type"] == "application/problem+json"
            assert response.json()["status"] == 404
        image = image_set.images.get()
        response = client.get(f"/api/v1/images/{image.pk}/")
        assert response.status_code == (200 if kind in visible else 404), (who, kind)
        if kind in visible:
            links = response.json()
            assert links["file_url"].startswith("http://testserver/files/images/")
            for name in ("file_url", "thumbnail_small_url", "thumbnail_medium_url"):
                file_response = client.get(links[name])
                assert file_response.status_code == 200, (who, kind, name)
        for variant in ("original", "small", "medium"):
            status = client.get(f"/files/images/{image.pk}/{variant}").status_code
            assert status == (200 if kind in visible else 404), (who, kind, variant)

    listed = client.get("/api/v1/image-sets/").json()["results"]
    assert {row["title"] for row in listed} == {f"Plankton {k} set" for k in visible}
    images = client.get("/api/v1/images/").json()["results"]
    assert {row["image_set"] for row in images} == {catalogue[k].pk for k in visible}

    for kind in ("set", "image"):
        result = client.get("/api/v1/search/", {"kind": kind, "q": "plankton"}).json()
        hit_sets = {hit["document"]["set_id"] for hit in result["hits"]}
        assert hit_sets == {catalogue[k].pk for k in visible}, (who, kind)
        assert result["total"] == len(visible)
        counts = {f["value"]: f["count"] for f in result["facets"]["access"]}
        assert sum(counts.values()) == len(visible)
        for hit in result["hits"]:
            assert "owner_id" not in hit["document"]
            assert "curator_ids" not in hit["document"]

    # Filters of the list cannot reach what the caller may not see either.
    hidden = [k for k in ACCESS if k not in visible]
    for kind in hidden:
        response = client.get("/api/v1/image-sets/", {"platform": f"platform-{kind}"})
        assert response.json()["results"] == []
        response = client.get("/api/v1/images/", {"image_set": catalogue[kind].pk})
        assert response.json()["results"] == []


def test_list_filters_share_search_names(people, catalogue):
    client = client_for("staff", people)
    rows = client.get("/api/v1/image-sets/", {"access": "embargoed,restricted"}).json()
    assert {r["access"] for r in rows["results"]} == {"embargoed", "restricted"}
    rows = client.get("/api/v1/images/", {"instrument": "FlowCam", "access": "open"}).json()
    assert len(rows["results"]) == 2  # the public and the draft set are open
    rows = client.get("/api/v1/image-sets/", {"modality": "sar"}).json()
    assert rows["results"] == []


def test_suggestions_only_from_visible(people, catalogue):
    anonymous = client_for("anonymous", people).get("/api/v1/search/suggestions/", {"q": "plank"})
    assert anonymous.status_code == 200
    assert isinstance(anonymous.json()["suggestions"], list)
    missing = client_for("anonymous", people).get("/api/v1/search/suggestions/")
    assert missing.status_code == 400
    assert missing.json()["errors"]["q"]
