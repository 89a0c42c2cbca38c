"""The roof's pages: the ops page (routing flags as an htmx form, breaker states, the audit
trail, live plots, AI outcomes and their CSV), ``/metrics`` and ``/healthz``. Writes go
through the ops floor's services."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from apps.dashboard.forms import outcome_range, outcomes_context
from apps.dashboard.health import health_report
from apps.dashboard.metrics import scrape_registry
from apps.dashboard.outcomes import outcome_report, outcomes_csv
from apps.dashboard.plots import WINDOWS, plot_data
from apps.inference.breakers import breaker_snapshot
from apps.ops.forms import RoutingFlagsForm
from apps.ops.permissions import ops_required
from apps.ops.selectors import flag_changes, flags_row
from apps.ops.services import flags_update


@require_GET
@ops_required
def ops_page(request: HttpRequest) -> HttpResponse:
    context = {
        "form": RoutingFlagsForm(instance=flags_row()),
        "windows": WINDOWS,
        **_status_context(),
        **outcomes_context(request.GET),
    }
    return render(request, "dashboard/ops.html", context)


@require_GET
@ops_required
def plots(request: HttpRequest) -> JsonResponse:
    """The live plots' data for one window (``?window=15m|1h|24h``), polled by the page."""
    window = request.GET.get("window", "15m")
    if window not in WINDOWS:
        return JsonResponse({"error": f"window must be one of {', '.join(WINDOWS)}"}, status=400)
    return JsonResponse(plot_data(window))


@require_GET
@ops_required
def outcomes(request: HttpRequest) -> HttpResponse:
    context = outcomes_context(request.GET)
    status = 400 if context["range_form"].errors else 200
    return render(request, "dashboard/_outcomes.html", context, status=status)


@require_GET
@ops_required
def outcomes_export(request: HttpRequest) -> HttpResponse:
    form = outcome_range(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text(), content_type="text/plain")
    start, end = form.range()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="surgedesk-outcomes-{start}-{end}.csv"'
    outcomes_csv(outcome_report(start, end), response)
    return response


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
    """Prometheus scrape endpoint: this process's counters plus the shared state.

    With ``METRICS_TOKEN`` set it asks for that bearer token; without one it is open in dev
    (``make run``) and off in production."""
    if not settings.METRICS_TOKEN:
        if settings.PRODUCTION:
            raise Http404("metrics are off: set METRICS_TOKEN")
    elif not _bearer_matches(request, settings.METRICS_TOKEN):
        return HttpResponseForbidden("metrics need Authorization: Bearer <METRICS_TOKEN>")
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


def _bearer_matches(request: HttpRequest, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: 200 when every dependency answers, else 503.

    Anyone gets ``ok``; what failed, and where, only staff and callers on this host."""
    report = health_report()
    status = 200 if report["ok"] else 503
    if not (request.user.is_staff or _from_this_host(request)):
        return JsonResponse({"ok": report["ok"]}, status=status)
    return JsonResponse(report, status=status)


def _from_this_host(request: HttpRequest) -> bool:
    """A probe on this host, not a visitor relayed by a proxy on it (a proxy forwards)."""
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False
