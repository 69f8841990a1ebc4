"""Curator pages: a curator's sets, create and edit a set, upload files."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def my_sets(request):
    return render(request, "curation/my_sets.html", {})
