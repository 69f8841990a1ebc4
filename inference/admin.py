"""Admin of the inference app: models and versions to look at, and a page that
registers a version from an uploaded model card and TorchScript or ONNX weights
(the same service as the API, so the same checks and the same refusals)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse

from inference.models import AnalyticsModel, ModelVersion
from inference.services.uploads import CardError, may_register, register_upload


class UploadForm(forms.Form):
    card = forms.FileField(
        help_text="AI4OS metadata (JSON, metadata_version 2.x) with an `aquacat` section: "
        "name, version, task, framework, labels, input_spec, weights.sha256, and optionally "
        'label_set {"uuid", "map": {output: label}} to map the outputs to a label set.'
    )
    weights = forms.FileField(
        help_text="TorchScript (as torch.jit.save writes it) or ONNX; the format is read "
        "from the content."
    )

    def clean_card(self) -> dict:
        try:
            card = json.loads(self.cleaned_data["card"].read())
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise forms.ValidationError(f"not JSON: {error}") from error
        if not isinstance(card, dict):
            raise forms.ValidationError("the card must be a JSON object")
        return card


@admin.register(AnalyticsModel)
class AnalyticsModelAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "task", "licence", "created"]
    search_fields = ["name", "title"]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["model", "version", "framework", "label_set", "weights_sha256", "created"]
    list_filter = ["framework", "model__task"]
    readonly_fields = ["weights_path", "weights_sha256", "label_set", "label_map"]

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),
            name="inference_modelversion_upload",
        )
        return [upload, *super().get_urls()]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) or may_register(request.user)):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                version = register_upload(
                    actor=request.user,
                    card=form.cleaned_data["card"],
                    weights=form.cleaned_data["weights"].read(),
                )
            except CardError as error:
                for field, reason in error.problems.items():
                    form.add_error(
                        "weights" if field == "weights" else "card", f"{field}: {reason}"
                    )
            else:
                messages.success(request, f"Registered {version}.")
                return HttpResponseRedirect(
                    reverse("admin:inference_modelversion_change", args=[version.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Register a model version from its card",
            "form": form,
        }
        return render(request, "admin/inference/modelversion/upload.html", context)
