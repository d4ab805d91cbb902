"""What an analysis produces besides tracks: metric values, windowed samples and events.

These plain dataclasses are the contract between analysis/metrics, the CLI's report.json
and workers/, which stores them as MetricSample and BehaviourEvent rows.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

EVENT_KINDS = ("body_rocking", "hand_flapping", "head_movement", "gesture", "gaze_shift")
METRIC_FAMILIES = ("apathy", "stereotypy", "attention", "praxis", "interaction")


@dataclass(frozen=True)
class MetricValue:
    """A session-level value of one metric. value is NaN when it cannot be computed
    (for example no face was visible), never a made-up 0, and reason then says why in a
    sentence a clinician can read. analysable_s is the time (s) the value rests on, given for
    every rate and share so that "0 per minute over 3 s" cannot pass for "0 per minute"."""

    value: float
    unit: str
    reason: str = ""
    analysable_s: float | None = None

    @classmethod
    def unknown(cls, unit: str, reason: str, analysable_s: float | None = None) -> MetricValue:
        """A metric that could not be measured: NaN with the reason."""
        if not reason:
            raise ValueError("an unknown metric needs a reason")
        return cls(float("nan"), unit, reason, analysable_s)


@dataclass(frozen=True)
class WindowSample:
    """One metric over one time window [window_start_s, window_end_s)."""

    metric: str
    window_start_s: float
    window_end_s: float
    value: float
    unit: str


@dataclass(frozen=True)
class Event:
    """A behaviour episode found by a model (kind is one of EVENT_KINDS)."""

    kind: str
    body_part: str
    start_s: float
    end_s: float
    confidence: float
    frequency_hz: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}; expected one of {EVENT_KINDS}")
        if self.end_s < self.start_s:
            raise ValueError(f"event ends ({self.end_s} s) before it starts ({self.start_s} s)")


@dataclass
class MetricsReport:
    """Everything the metrics computed for one session.

    metrics maps a family (apathy, stereotypy, attention, praxis) to {metric key: value}.
    Metric keys are globally unique and prefixed by their family, e.g. "apathy.neutral_share".
    """

    metrics: dict[str, dict[str, MetricValue]] = field(default_factory=dict)
    samples: list[WindowSample] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def merge(self, other: MetricsReport) -> None:
        for family, values in other.metrics.items():
            self.metrics.setdefault(family, {}).update(values)
        self.samples.extend(other.samples)
        self.events.extend(other.events)

    def to_json(self) -> dict[str, Any]:
        """The metrics, samples and events parts of report.json (NaN becomes null)."""
        return {
            "metrics": {
                family: {
                    key: {
                        "value": _finite_or_none(m.value),
                        "unit": m.unit,
                        "reason": m.reason or None,
                        "analysable_s": None if m.analysable_s is None else _finite_or_none(m.analysable_s),
                    }
                    for key, m in values.items()
                }
                for family, values in self.metrics.items()
            },
            "samples": [{**asdict(s), "value": _finite_or_none(s.value)} for s in self.samples],
            "events": [asdict(e) for e in self.events],
        }


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
