"""Matching names met on import to WoRMS taxa: the taxon table first, then WoRMS (the
fake); a real EcoTaxa category list; questions for the curator answered through the
service; WoRMS unreachable leaves names pending, matched later; a set's taxa checked."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command

from catalogue import services
from catalogue.errors import NotAllowed, NotVisible
from catalogue.models import ImageSet, SearchOutbox, Taxon, TaxonQuestion
from catalogue.services import taxa
from catalogue.services.images import add_images
from catalogue.tasks import match_pending_taxa
from curation.models import Annotation, Label, LabelSet
from curation.services.annotations import label_set_of
from curation.services.imports import labels_for
from curation.services.labels import create_label_set
from tests.catalogue import taxa_support
from tests.catalogue.ingest_samples import image_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("taxa_snapshot")]
worms, worms_down = taxa_support.worms, taxa_support.worms_down  # fixtures
taxa_snapshot = taxa_support.taxa_snapshot

# Display names of EcoTaxa's own QA taxonomy (ecotaxa/ecotaxa_back,
# QA/py/pg_files/data_load.sql): taxa, morphological categories and temporary ones.
ECOTAXA_CATEGORIES = {
    "Copepoda<Multicrustacea": ("taxon", 1080),
    "Cyclopoida": ("taxon", 1101),
    "Oncaeidae": ("taxon", 128586),
    "Ctenophora<Animalia": ("taxon", 1248),
    "Ctenophora<Fragilariaceae": ("taxon", 163921),
    "detritus": ("not_taxon", None),
    "other<Biota": ("not_taxon", None),
    "other<dead": ("not_taxon", None),
    "t001": ("not_taxon", None),
    "egg<other": ("not_taxon", None),
    "egg<Actinopterygii": ("not_taxon", None),
    "tail<Chaetognatha": ("not_taxon", None),
    "tail<Appendicularia": ("not_taxon", None),
    "nauplii<Cirripedia": ("not_taxon", None),
    "centric": ("not_taxon", None),
    "pennate<Bacillariophyta": ("not_taxon", None),
    "badfocus<artefact": ("not_taxon", None),
    "bubble": ("not_taxon", None),
}


@pytest.fixture
def owner():
    return get_user_model().objects.create_user("curator", password="pw-for-tests")


@pytest.fixture
def image_set(owner):
    return services.create_image_set(title="Belgica 2023 ZooScan", actor=owner)


def test_a_real_ecotaxa_category_list_matches_offline(worms_down):
    found = taxa.match_names(ECOTAXA_CATEGORIES)
    got = {
        name: (match.kind, match.taxon.aphia_id if match.taxon else None)
        for name, match in found.items()
    }
    assert got == ECOTAXA_CATEGORIES
    assert found["egg<other"].label_fields() == {"concept": "egg<other"}
    assert found["Oncaeidae"].label_fields() == {"aphia_id": 128586}


def test_homonyms_without_a_parent_are_a_question():
    match = taxa.match_names(["Ctenophora"], online=False)["Ctenophora"]
    assert match.kind == "ambiguous"
    assert {c["aphia_id"] for c in match.candidates} == {1248, 163921}
    assert match.label_fields() == {}


def test_a_synonym_matches_its_accepted_taxon_noted():
    match = taxa.match_names(["Sarcotacidea"], online=False)["Sarcotacidea"]
    assert match.kind == "synonym"
    assert match.taxon.aphia_id == 1381349 and match.matched.aphia_id == 889851
    assert "Ergasilida" in match.note and "unaccepted" in match.note


def test_a_name_the_table_lacks_is_read_from_worms_with_its_lineage(worms):
    Taxon.objects.filter(aphia_id=128586).delete()
    match = taxa.match_names(["Oncaeidae"])["Oncaeidae"]
    assert match.kind == "taxon" and match.taxon.aphia_id == 128586
    stored = Taxon.objects.get(aphia_id=128586)
    assert stored.source == "worms" and stored.fetched is not None
    assert stored.lineage[-1] == {"aphia_id": 1381349, "name": "Ergasilida", "rank": "Suborder"}
    calls = len(worms.calls)
    taxa.match_names(["Oncaeidae"])  # now in the table: WoRMS is not asked again
    assert len(worms.calls) == calls


def test_a_synonym_from_worms_brings_its_accepted_taxon(worms):
    Taxon.objects.filter(aphia_id__in=[148832, 105706]).delete()
    match = taxa.match_names(["Rhiniodontidae"])["Rhiniodontidae"]
    assert match.kind == "synonym" and match.taxon.scientific_name == "Rhincodontidae"
    accepted = Taxon.objects.get(aphia_id=105706)
    assert {"name": "whale shark", "language": "eng"} in accepted.vernaculars
    assert Taxon.objects.get(aphia_id=148832).valid_aphia_id == 105706


def test_fuzzy_only_and_no_match_are_questions(worms):
    found = taxa.match_names(["Oncaeidea", "Nothing here at all"])
    assert found["Oncaeidea"].kind == "fuzzy"
    assert found["Oncaeidea"].candidates[0]["scientific_name"] == "Oncaeidae"
    assert found["Oncaeidea"].candidates[0]["match_type"] == "near_1"
    assert found["Nothing here at all"].kind == "no_match"


def test_a_name_worms_does_not_settle_is_asked_once(worms):
    taxa.match_names(["Oncaeidea"])
    calls = len(worms.calls)
    assert taxa.match_names(["Oncaeidea"])["Oncaeidea"].kind == "fuzzy"
    assert len(worms.calls) == calls


def test_worms_too_slow_leaves_names_pending(worms, settings):
    settings.WORMS_TIMEOUT = 0.2
    worms.slow_next(1.0, times=3)
    match = taxa.match_names(["Calanus"])["Calanus"]
    assert match.kind == "pending" and "no answer within" in match.note


def test_worms_unreachable_leaves_names_pending(worms_down):
    found = taxa.match_names(["Calanus", "Copepoda"])
    assert found["Calanus"].kind == "pending" and "cannot connect" in found["Calanus"].note
    assert found["Copepoda"].kind == "taxon"


def test_import_labels_get_aphia_ids_concepts_and_questions(worms, image_set):
    problems: list[str] = []
    names = ["Copepoda", "detritus", "Ctenophora", "Oncaeidea"]
    labels = labels_for(image_set, names, problems)
    assert problems == []
    assert sorted(labels) == sorted(names)  # no label lost
    assert labels["Copepoda"].aphia_id == 1080
    assert labels["detritus"].concept == "detritus" and labels["detritus"].aphia_id is None
    assert labels["Ctenophora"].aphia_id is None
    questions = {q.name: q.kind for q in taxa.open_questions(image_set)}
    assert questions == {"Ctenophora": "ambiguous", "Oncaeidea": "fuzzy"}


def test_answering_a_question_labels_the_labels(worms, image_set, owner):
    labels_for(image_set, ["Ctenophora", "Oncaeidea", "pennate<Bacillariophyta"], [])
    ambiguous = TaxonQuestion.objects.get(image_set=image_set, name="Ctenophora")
    taxa.answer_question(owner, ambiguous, 1248)
    fuzzy = TaxonQuestion.objects.get(image_set=image_set, name="Oncaeidea")
    taxa.answer_question(owner, fuzzy, "128586")
    label_set = label_set_of(image_set)
    assert label_set.labels.get(name="Ctenophora").aphia_id == 1248
    assert label_set.labels.get(name="Oncaeidea").aphia_id == 128586
    assert label_set.labels.get(name="pennate<Bacillariophyta").concept
    assert list(taxa.open_questions(image_set)) == []
    ambiguous.refresh_from_db()
    assert ambiguous.answered_by == owner and ambiguous.answer_aphia_id == 1248


def test_answering_as_no_taxon(worms, image_set, owner):
    labels_for(image_set, ["Nothing here at all"], [])
    question = TaxonQuestion.objects.get(image_set=image_set)
    taxa.answer_question(owner, question, not_taxon=True)
    label = label_set_of(image_set).labels.get()
    assert label.concept == "Nothing here at all" and label.aphia_id is None


def test_bad_answers_are_refused_with_every_reason(worms, image_set, owner):
    labels_for(image_set, ["Ctenophora"], [])
    question = TaxonQuestion.objects.get(image_set=image_set)
    cases = [
        ({"aphia_id": None}, "give the AphiaID"),
        ({"aphia_id": "abc"}, "not a WoRMS AphiaID"),
        ({"aphia_id": 9999999}, "WoRMS does not know AphiaID 9999999"),
        ({"aphia_id": 889851}, "Sarcotacidea (AphiaID 889851) is not an accepted name"),
        ({"aphia_id": 1248, "not_taxon": True}, "not both"),
    ]
    for kwargs, reason in cases:
        with pytest.raises(ValidationError) as refused:
            taxa.answer_question(owner, question, **kwargs)
        assert reason in refused.value.message_dict["aphia_id"][0]
    question.refresh_from_db()
    assert question.state == "open"
    stranger = get_user_model().objects.create_user("stranger", password="pw-for-tests")
    with pytest.raises((NotAllowed, NotVisible)):
        taxa.answer_question(stranger, question, 1248)


def test_pending_names_are_matched_later(settings, image_set, worms):
    worms_url = settings.WORMS_URL
    settings.WORMS_URL = "http://127.0.0.1:9/rest"
    Taxon.objects.filter(aphia_id=128586).delete()
    labels = labels_for(image_set, ["Oncaeidae", "Copepoda"], [])
    assert labels["Oncaeidae"].aphia_id is None
    assert [(q.name, q.kind) for q in taxa.open_questions(image_set)] == [("Oncaeidae", "pending")]
    settings.WORMS_URL = worms_url
    out = StringIO()
    call_command("taxa", "match", "--pending", stdout=out)
    assert json.loads(out.getvalue())["matched"] == 1
    labels["Oncaeidae"].refresh_from_db()
    assert labels["Oncaeidae"].aphia_id == 128586
    assert list(taxa.open_questions(image_set)) == []


def test_the_celery_task_matches_pending_names(settings, image_set, worms):
    worms_url = settings.WORMS_URL
    settings.WORMS_URL = ""  # no WoRMS configured: names wait
    Taxon.objects.filter(aphia_id=148832).delete()
    labels = labels_for(image_set, ["Rhiniodontidae<Orectolobiformes", "Nothing here"], [])
    assert {q.kind for q in taxa.open_questions(image_set)} == {"pending"}
    settings.WORMS_URL = worms_url
    report = match_pending_taxa()
    assert report == {"pending": 2, "matched": 1, "questions": 1, "still_pending": 0}
    labels["Rhiniodontidae<Orectolobiformes"].refresh_from_db()
    assert labels["Rhiniodontidae<Orectolobiformes"].aphia_id == 105706
    assert [(q.name, q.kind) for q in taxa.open_questions(image_set)] == [
        ("Nothing here", "no_match")
    ]


def test_labels_made_by_hand_get_the_aphia_id_the_table_knows(owner):
    label_set = create_label_set(
        actor=owner, name="ZooScan", labels=[{"name": "Calanoida"}, {"name": "detritus"}]
    )
    assert label_set.labels.get(name="Calanoida").aphia_id == 1100
    assert label_set.labels.get(name="detritus").concept == "detritus"


def test_set_taxa_are_filled_from_the_table_and_checked(image_set, owner):
    updated = services.update_image_set(
        image_set, actor=owner, taxa=[{"scientific_name": "oncaeidae", "aphia_id": "128586"}]
    )
    assert updated.taxa == [
        {
            "scientific_name": "Oncaeidae",
            "aphia_id": 128586,
            "rank": "Family",
            "lineage": [
                "Animalia",
                "Arthropoda",
                "Crustacea",
                "Multicrustacea",
                "Copepoda",
                "Neocopepoda",
                "Podoplea",
                "Cyclopoida",
                "Ergasilida",
            ],
        }
    ]
    with pytest.raises(ValidationError) as refused:
        services.update_image_set(
            image_set,
            actor=owner,
            taxa=[
                {"scientific_name": "Sarcotacidea", "aphia_id": 889851},
                {"scientific_name": "Copepoda", "aphia_id": 148899},
                {"scientific_name": "Copepoda", "aphia_id": "x1"},
            ],
        )
    messages = refused.value.message_dict["taxa"]
    assert len(messages) == 3
    assert "taxon 1: Sarcotacidea (AphiaID 889851) is not an accepted name" in messages[0]
    assert "Ergasilida (AphiaID 1381349)" in messages[0]
    assert "taxon 2: scientific_name 'Copepoda' is not the name of AphiaID 148899" in messages[1]
    assert "taxon 3: aphia_id must be a WoRMS AphiaID" in messages[2]


def test_set_taxa_given_by_name_get_their_aphia_id(image_set, owner):
    updated = services.update_image_set(
        image_set,
        actor=owner,
        taxa=[
            {"scientific_name": "Bacillariophyceae", "rank": "Class"},
            {"scientific_name": "Ctenophora"},  # two accepted taxa: kept as given
            {"scientific_name": "Dinophyceae", "rank": "Class"},  # not in the table
        ],
    )
    assert updated.taxa[0]["aphia_id"] == 148899
    assert updated.taxa[0]["lineage"][0] == "Chromista"
    assert updated.taxa[1:] == [
        {"scientific_name": "Ctenophora"},
        {"scientific_name": "Dinophyceae", "rank": "Class"},
    ]
    with pytest.raises(ValidationError) as refused:
        services.update_image_set(
            image_set, actor=owner, taxa=[{"scientific_name": "Rhiniodontidae"}]
        )
    assert refused.value.message_dict["taxa"] == [
        "taxon 1: Rhiniodontidae is not an accepted name in WoRMS (unaccepted); "
        "the accepted taxon is Rhincodontidae (AphiaID 105706)"
    ]


def test_set_taxa_worms_does_not_know_are_named(worms, image_set, owner):
    Taxon.objects.filter(aphia_id=148832).delete()  # only WoRMS knows it now
    with pytest.raises(ValidationError) as refused:
        services.update_image_set(
            image_set,
            actor=owner,
            taxa=[
                {"scientific_name": "Copepoda", "aphia_id": 1080},
                {"scientific_name": "X", "aphia_id": 9999999},
                {"scientific_name": "Rhiniodontidae", "aphia_id": 148832},
            ],
        )
    assert refused.value.message_dict["taxa"] == [
        "taxon 2: WoRMS does not know AphiaID 9999999",
        "taxon 3: Rhiniodontidae (AphiaID 148832) is not an accepted name in WoRMS "
        "(unaccepted); the accepted taxon is Rhincodontidae (AphiaID 105706)",
    ]
    image_set.refresh_from_db()
    assert image_set.taxa == []  # nothing half-applied


def test_set_taxa_wait_as_given_when_worms_is_unreachable(worms_down, image_set, owner):
    updated = services.update_image_set(
        image_set,
        actor=owner,
        taxa=[{"scientific_name": "Calanus finmarchicus", "aphia_id": 104464}],
    )
    assert updated.taxa == [{"scientific_name": "Calanus finmarchicus", "aphia_id": 104464}]


def test_match_command_prints_what_names_match(worms_down):
    out = StringIO()
    call_command("taxa", "match", "Oncaeidae", "egg<other", "Ctenophora", "--offline", stdout=out)
    report = json.loads(out.getvalue())
    assert report["Oncaeidae"]["lsid"] == "urn:lsid:marinespecies.org:taxname:128586"
    assert report["egg<other"]["kind"] == "not_taxon"
    assert report["Ctenophora"]["kind"] == "ambiguous"


def test_refresh_command_rereads_from_worms(worms):
    Taxon.objects.filter(aphia_id=1080).update(authority="")
    out, err = StringIO(), StringIO()
    call_command("taxa", "refresh", "--names", "Copepoda", "Noname", stdout=out, stderr=err)
    report = json.loads(out.getvalue())
    assert report["updated"] == 1 and report["new"]["Noname"]["kind"] == "no_match"
    assert "1/1" in err.getvalue()
    assert Taxon.objects.get(aphia_id=1080).source == "worms"


def test_a_refresh_queues_the_documents_that_read_a_changed_taxon(worms, owner):
    """Documents carry their taxa's and ancestors' names: a refresh that changes
    Copepoda queues a set naming its descendant Temoridae and a set whose image has a
    validated Copepoda label, not a set of molluscs; nothing changed, nothing queued."""
    below = services.create_image_set(
        title="Temoridae", taxa=[{"scientific_name": "Temoridae", "aphia_id": 104106}], actor=owner
    )
    apart = services.create_image_set(
        title="Molluscs", taxa=[{"scientific_name": "Mollusca", "aphia_id": 51}], actor=owner
    )
    labelled = services.create_image_set(title="Labelled", actor=owner)
    add_images([image_row(labelled, 1)])
    image = labelled.images.get()
    label_set = LabelSet.objects.create(name="ZooScan", owner=owner)
    copepoda = Label.objects.create(label_set=label_set, name="Copepoda", aphia_id=1080)
    Annotation.objects.create(image=image, label=copepoda, status="validated")
    revisions = {s.pk: s.revision for s in ImageSet.objects.all()}
    SearchOutbox.objects.all().delete()
    Taxon.objects.filter(aphia_id=1080).update(authority="")

    out = StringIO()
    call_command("taxa", "refresh", "--names", "Copepoda", stdout=out, stderr=StringIO())
    report = json.loads(out.getvalue())
    assert report["changed"] >= 1 and report["requeued"] == {"sets": 2, "images": 1}
    queued = set(SearchOutbox.objects.values_list("kind", "object_id"))
    assert {("set", below.pk), ("set", labelled.pk), ("image", image.pk)} <= queued
    assert ("set-images", below.pk) in queued
    assert not {row for row in queued if row[1] == apart.pk}
    for image_set in (below, labelled):
        image_set.refresh_from_db()
        assert image_set.revision == revisions[image_set.pk] + 1
    apart.refresh_from_db()
    assert apart.revision == revisions[apart.pk]

    SearchOutbox.objects.all().delete()
    call_command("taxa", "refresh", "--names", "Copepoda", stdout=(out := StringIO()))
    report = json.loads(out.getvalue())
    assert (report["changed"], report["requeued"]) == (0, {"sets": 0, "images": 0})
    assert not SearchOutbox.objects.exists()


def test_the_labels_page_lists_the_questions_and_pending_names(worms, image_set, owner, client):
    labels_for(image_set, ["Ctenophora", "Copepoda"], [])
    Taxon.objects.filter(aphia_id=128586).delete()
    worms.fail_next(503, times=3)
    labels_for(image_set, ["Oncaeidae"], [])
    client.force_login(owner)
    page = client.get(f"/curate/sets/{image_set.uuid}/labels").content.decode()
    assert 'id="taxon-questions"' in page
    assert "<strong>Ctenophora</strong>" in page and "AphiaID 163921" in page
    assert "<strong>Oncaeidae</strong>" in page and "pending: waiting for WoRMS" in page
    assert "<strong>Copepoda</strong>" not in page


def test_a_curator_answers_a_question_on_the_labels_page(worms, image_set, owner, client):
    labels_for(image_set, ["Ctenophora", "Oncaeidea"], [])
    client.force_login(owner)
    url = f"/curate/sets/{image_set.uuid}/labels"
    page = client.get(url).content.decode()
    assert page.count('name="action" value="answer"') == 2
    ctenophora = TaxonQuestion.objects.get(image_set=image_set, name="Ctenophora")
    fuzzy = TaxonQuestion.objects.get(image_set=image_set, name="Oncaeidea")

    refused = client.post(
        url, {"action": "answer", "question": ctenophora.pk, "aphia_id": "12x"}, follow=True
    )
    assert "is not a WoRMS AphiaID" in refused.content.decode()
    ctenophora.refresh_from_db()
    assert ctenophora.state == TaxonQuestion.State.OPEN

    client.post(url, {"action": "answer", "question": ctenophora.pk, "aphia_id": "1248"})
    client.post(url, {"action": "answer", "question": fuzzy.pk, "not_taxon": "1"})
    label_set = label_set_of(image_set)
    assert label_set.labels.get(name="Ctenophora").aphia_id == 1248
    assert label_set.labels.get(name="Oncaeidea").concept == "Oncaeidea"
    assert list(taxa.open_questions(image_set)) == []


def test_only_who_may_change_the_set_answers(worms, image_set, client, django_user_model):
    labels_for(image_set, ["Ctenophora"], [])
    question = TaxonQuestion.objects.get(image_set=image_set)
    stranger = django_user_model.objects.create_user("stranger", password="x")
    client.force_login(stranger)
    answered = client.post(
        f"/curate/sets/{image_set.uuid}/labels",
        {"action": "answer", "question": question.pk, "aphia_id": "1248"},
    )
    assert answered.status_code in {403, 404}
    question.refresh_from_db()
    assert question.state == TaxonQuestion.State.OPEN
