"""Web pages of the catalogue."""

from django.shortcuts import render

from catalogue.selectors import visible_image_sets


def home(request):
    return render(request, "catalogue/home.html", {"image_sets": visible_image_sets()[:50]})
