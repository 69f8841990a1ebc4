"""The search pages of the web UI: sets and images."""

from django.shortcuts import render


def search_page(request):
    return render(request, "catalogue/search.html", {})


def image_search_page(request):
    return render(request, "catalogue/image_search.html", {})
