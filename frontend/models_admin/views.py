"""The models page (admins): model versions with their metrics, which gesture model is active,
and how far the models' events agree with the clinicians' reviews (results.agreement).

Access: accounts.permissions.can_manage_models, checked on every view (403 otherwise). The
agreement figures are aggregated over all patients and name none; viewing them is audited.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import ApplicationError
from accounts.permissions import can_manage_models
from audit.services import access_read
from frontend.models_admin.charts import agreement_chart_html
from results.agreement import agreement_report, pipeline_versions_reviewed
from results.gesture_models import gesture_model_activate, model_versions_list
from results.model_registry import models_in_use
from results.models import ModelVersion


class ModelActivateForm(forms.Form):
    model_version = forms.ModelChoiceField(
        queryset=ModelVersion.objects.filter(kind=ModelVersion.Kind.GESTURE),
        error_messages={"invalid_choice": "That gesture model version does not exist (any more)."},
    )


def _require_model_admin(user: Any) -> None:
    if not can_manage_models(user):
        raise PermissionDenied("The models page is for administrators.")


def _version_row(version: ModelVersion) -> dict[str, Any]:
    """What the table shows of a version: its headline figures, per-class figures, hashes."""
    metrics = version.metrics or {}
    evaluation = metrics.get("evaluation") or {}
    labels = evaluation.get("labels") or metrics.get("labels") or []
    per_class = [
        {
            "label": label,
            "precision": (evaluation.get("precision") or {}).get(label),
            "recall": (evaluation.get("recall") or {}).get(label),
        }
        for label in labels
    ]
    return {
        "version": version,
        "accuracy": evaluation.get("accuracy", metrics.get("test_accuracy")),
        "evaluation_split": metrics.get("evaluation_split", ""),
        "n_train": metrics.get("n_train"),
        "n_test": metrics.get("n_test"),
        "per_class": per_class,
        "other_metrics": {
            key: value
            for key, value in metrics.items()
            if not isinstance(value, dict | list) and key != "evaluation_split"
        },
        "can_activate": version.kind == ModelVersion.Kind.GESTURE and not version.is_active,
    }


@require_GET
@login_required
def models_page(request: HttpRequest) -> HttpResponse:
    _require_model_admin(request.user)
    versions_reviewed = pipeline_versions_reviewed()
    pipeline_version = request.GET.get("pipeline_version", "")
    if pipeline_version not in versions_reviewed:
        pipeline_version = ""
    report = agreement_report(pipeline_version=pipeline_version or None)
    access_read(
        request=request,
        object_type="model_agreement",
        details={"pipeline_version": pipeline_version, "n_reviewed": report.n_reviewed},
    )
    return render(
        request,
        "models_admin/models.html",
        {
            "rows": [_version_row(version) for version in model_versions_list()],
            "models_in_use": models_in_use(),
            "report": report,
            "confusion_rows": [
                (label, [report.confusion[label][other] for other in report.labels])
                for label in report.labels
            ],
            "chart": agreement_chart_html(report, csp_nonce=request.csp_nonce),
            "pipeline_versions": versions_reviewed,
            "pipeline_version": pipeline_version,
        },
    )


@require_POST
@login_required
def model_activate_page(request: HttpRequest) -> HttpResponse:
    _require_model_admin(request.user)
    form = ModelActivateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("models_admin")
    try:
        version = gesture_model_activate(model_version=form.cleaned_data["model_version"])
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("models_admin")
    messages.success(request, f"{version.name} {version.version} is now the active gesture model.")
    return redirect("models_admin")
