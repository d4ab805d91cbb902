"""How far the models' behaviour events agree with the clinicians' reviews (reads only).

Definition (shown on the admin page and returned by the API):

- The unit is a *reviewed model event*: a BehaviourEvent with at least one EventReview; only its
  latest review counts (a clinician may change their mind; the latest review is the event's status).
- The model's label is the event's kind. The clinician's label is
  the event's kind when the review confirms it; the corrected kind when the review corrects it
  (the event's own kind when only the times were corrected); "none" when the review rejects it.
- Per kind k:
  precision(k) = events the model labelled k that the clinician kept as k / reviewed model events of kind k;
  recall(k) = clinician labels k on events the model labelled k / all clinician labels k.
  Recall only sees events the model produced: behaviour the model missed entirely has no event
  to review, so it cannot be counted here (recall is an upper bound of the true recall).
- Cohen's kappa over all labels (the kinds and "none"), and per kind a binary kappa
  (labelled k or not, by the model and by the clinician), from the same pairs.

Kappa, precision and recall are analysis.statistics' (undefined, None, where they are 0 / 0); the
latest review of an event is results.review_selectors'.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import QuerySet

from analysis.statistics import cohen_kappa, ratio
from results.models import BehaviourEvent, EventReview
from results.review_selectors import events_with_latest_review

NONE_LABEL = "none"
KIND_ORDER = tuple(BehaviourEvent.Kind.values)

DEFINITION = (
    "Over reviewed model events (the latest review of each event counts), the model's label is the "
    "event's kind; the clinician's label is the kind when confirmed, the corrected kind when corrected "
    '(the same kind when only the times were corrected), and "none" when rejected. Precision of a kind: '
    "events of that kind the clinician kept as that kind, over reviewed model events of that kind. Recall "
    "of a kind: clinician labels of that kind on events the model gave that kind, over all clinician labels "
    "of that kind. Behaviour the model never detected has no event to review and cannot be counted, so "
    "recall is an upper bound. Cohen's kappa is computed over all labels (kinds and none), and per kind "
    "as a binary kind-versus-not-kind kappa."
)


@dataclass(frozen=True)
class KindAgreement:
    """Figures of one event kind. precision, recall and kappa are None when undefined (no events
    of that kind, or chance agreement of 1)."""

    kind: str
    n_model: int  # reviewed model events of this kind
    n_kept: int  # of those, kept as this kind by the clinician
    n_clinician: int  # clinician labels of this kind (over reviewed model events)
    n_rejected: int  # model events of this kind the clinician rejected
    precision: float | None
    recall: float | None
    kappa: float | None


@dataclass(frozen=True)
class AgreementReport:
    """Agreement over n_reviewed reviewed model events (of n_events model events in all).

    confusion[model_label][clinician_label] is a count; labels lists the labels of both raters
    in display order (kinds, then "none").
    """

    n_events: int
    n_reviewed: int
    kappa: float | None
    kinds: list[KindAgreement]
    labels: list[str]
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    definition: str = DEFINITION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _label_order(labels: set[str]) -> list[str]:
    known = [kind for kind in KIND_ORDER if kind in labels]
    others = sorted(labels - set(KIND_ORDER) - {NONE_LABEL})
    return known + others + ([NONE_LABEL] if NONE_LABEL in labels else [])


def agreement_from_pairs(pairs: list[tuple[str, str]], *, n_events: int | None = None) -> AgreementReport:
    """The agreement figures of (model label, clinician label) pairs, one per reviewed event.

    n_events: how many model events there are in all (reviewed or not), for the page's context;
    None means only the reviewed ones.
    """
    labels = _label_order({label for pair in pairs for label in pair})
    counts = Counter(pairs)
    kinds = []
    for kind in labels:
        if kind == NONE_LABEL:
            continue
        n_model = sum(count for (model, _), count in counts.items() if model == kind)
        n_clinician = sum(count for (_, clinician), count in counts.items() if clinician == kind)
        n_kept = counts[(kind, kind)]
        kinds.append(
            KindAgreement(
                kind=kind,
                n_model=n_model,
                n_kept=n_kept,
                n_clinician=n_clinician,
                n_rejected=counts[(kind, NONE_LABEL)],
                precision=ratio(n_kept, n_model),
                recall=ratio(n_kept, n_clinician),
                kappa=cohen_kappa((model == kind, clinician == kind) for model, clinician in pairs),
            )
        )
    confusion = {model: {clinician: counts[(model, clinician)] for clinician in labels} for model in labels}
    return AgreementReport(
        n_events=len(pairs) if n_events is None else n_events,
        n_reviewed=len(pairs),
        kappa=cohen_kappa(pairs),
        kinds=kinds,
        labels=labels,
        confusion=confusion,
    )


def clinician_label(*, event_kind: str, decision: str, corrected_kind: str) -> str:
    """The clinician's label of a reviewed event (see the module's definition)."""
    if decision == EventReview.Decision.REJECT:
        return NONE_LABEL
    if decision == EventReview.Decision.CORRECT and corrected_kind:
        return corrected_kind
    return event_kind


def review_label_pairs(*, events: QuerySet[BehaviourEvent] | None = None) -> list[tuple[str, str]]:
    """(model label, clinician label) of every reviewed model event among events (default all)."""
    rows = (
        events_with_latest_review(events)
        .filter(latest_decision__isnull=False)
        .values_list("kind", "latest_decision", "latest_corrected_kind")
    )
    return [
        (kind, clinician_label(event_kind=kind, decision=decision, corrected_kind=corrected or ""))
        for kind, decision, corrected in rows
    ]


def agreement_report(*, pipeline_version: str | None = None) -> AgreementReport:
    """Model-vs-clinician agreement over every reviewed event (optionally of one pipeline version).

    Aggregated over all patients: no patient is named in the result. Callers check
    accounts.permissions.can_manage_models first.
    """
    events = BehaviourEvent.objects.all()
    if pipeline_version:
        events = events.filter(pipeline_version=pipeline_version)
    return agreement_from_pairs(review_label_pairs(events=events), n_events=events.count())


def pipeline_versions_reviewed() -> list[str]:
    """Pipeline versions that have reviewed events, newest string last (for the page's filter)."""
    return sorted(
        set(
            BehaviourEvent.objects.filter(reviews__isnull=False)
            .values_list("pipeline_version", flat=True)
            .distinct()
        )
    )
