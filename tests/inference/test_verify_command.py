"""manage.py verify_numerics: versions registered before verification get their
record, on this machine's device or on the workers'."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from inference.models import ModelVersion
from inference.numerics.devices import choose_device, device_key
from inference.numerics.policy import recorded
from inference.services import register_model_version
from tests.inference.test_numerics import register_near_tie

pytestmark = pytest.mark.django_db


def run(*args) -> dict:
    out = io.StringIO()
    call_command("verify_numerics", *args, stdout=out)
    return json.loads(out.getvalue())


def test_named_versions_are_verified_and_recorded_here(tmp_path, settings):
    settings.INFERENCE_NUMERICS_SAMPLE = 8
    near_tie = register_near_tie(tmp_path)
    remote = register_model_version(
        name="remote",
        task="classification",
        licence="MIT",
        version="1",
        framework=ModelVersion.Framework.DEEPAAS,
        labels=["a"],
        endpoint={"url": "http://127.0.0.1:9", "name": "remote"},
    )
    report = run(str(near_tie.pk), str(remote.pk))
    # bf16 moves the near-tie's top class, so fp32 stays (or bf16 is not offered here).
    assert report[f"near-tie 1 (#{near_tie.pk})"]["precision"] == "fp32"
    assert "a remote model" in report[f"remote 1 (#{remote.pk})"]["skipped"]
    near_tie.refresh_from_db()
    chosen = recorded(near_tie, device_key(choose_device()))
    assert chosen is not None and chosen.precision == "fp32"


def test_ids_or_all_and_unknown_ids_are_named(tmp_path):
    with pytest.raises(CommandError, match="ids or --all"):
        run()
    version = register_near_tie(tmp_path)
    with pytest.raises(CommandError, match="ids or --all"):
        run(str(version.pk), "--all")
    with pytest.raises(CommandError, match=f"no model version {version.pk + 1}"):
        run(str(version.pk), str(version.pk + 1))
