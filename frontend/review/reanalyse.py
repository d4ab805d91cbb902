"""The session page's "Analyse the video again": offered when segments were marked after an
analysis whose stored tracks are gone, so that the metrics that follow them cannot be recomputed
from the tracks (results.segment_metrics)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.errors import ApplicationError
from accounts.permissions import Action, require
from care.reanalysis import recording_reanalyse
from recordings.models import ClinicalSession, Recording
from results.dashboard_selectors import session_latest_job, session_recording


@require_POST
@login_required
def session_reanalyse(request: HttpRequest, session_id: int) -> HttpResponse:
    """Queue a new analysis of the session's video and go back to its page."""
    session = ClinicalSession.objects.select_related("patient").filter(pk=session_id).first()
    require(request.user, Action.CHOOSE_ANALYSED_PERSON, session.patient if session else None)
    job = session_latest_job(session=session)
    recording = job.recording if job else session_recording(session=session)
    if recording is None or recording.status != Recording.Status.STORED:
        raise Http404("This session has no stored video to analyse again.")
    try:
        recording_reanalyse(recording=recording, by=request.user, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            "The video is being analysed again with the marked segments; the results below are "
            "replaced when it finishes.",
        )
    return redirect(reverse("session_page", args=[session.pk]))
