"""Platform pages that belong to no app."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from aquacat.health import health_report


@never_cache
@require_GET
def health(request):
    """JSON health of every part; 503 when any part fails, for load balancers."""
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
