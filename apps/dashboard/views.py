"""The roof's pages: the ops page (routing flags as an htmx form, breaker states, the audit
trail), ``/metrics`` and ``/healthz``. Writes go through the ops floor's services."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from apps.dashboard.health import health_report
from apps.dashboard.metrics import register_shared_state
from apps.inference.breakers import breaker_snapshot
from apps.ops.forms import RoutingFlagsForm
from apps.ops.permissions import ops_required
from apps.ops.selectors import flag_changes, flags_row
from apps.ops.services import flags_update


@require_GET
@ops_required
def ops_page(request: HttpRequest) -> HttpResponse:
    context = {"form": RoutingFlagsForm(instance=flags_row()), **_status_context()}
    return render(request, "dashboard/ops.html", context)


@require_POST
@ops_required
def flags_save(request: HttpRequest) -> HttpResponse:
    form = RoutingFlagsForm(request.POST, instance=flags_row())
    saved = form.is_valid()
    if saved:
        flags_update(user=request.user, changes=form.cleaned_data)
        form = RoutingFlagsForm(instance=flags_row())
    if not request.htmx:
        if saved:
            return redirect("ops:page")
        return render(request, "dashboard/ops.html", {"form": form, **_status_context()})
    return render(request, "dashboard/_flags_form.html", {"form": form, "saved": saved})


@require_GET
@ops_required
def ops_status(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/_status.html", _status_context())


def _status_context() -> dict:
    return {"breakers": breaker_snapshot(), "changes": flag_changes()}


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus scrape endpoint: this process's counters plus the shared state."""
    register_shared_state()
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: 200 when every dependency answers, else 503."""
    report = health_report()
    return JsonResponse(report, status=200 if report["ok"] else 503)
