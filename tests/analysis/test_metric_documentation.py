"""Every metric the data dictionary exports is documented in analysis/README.md, and every
definition carries the unit and range the dictionary exports.

The checkable convention: a metric is documented by a row of a README table whose header is
`| key | unit | range | formula |`. The key cell holds one or more key patterns in backticks,
each a full key: `{a,b,c}` stands for one of a, b, c and `{name}` or `<name>` for one name part
(a region, an emotion class, a praxis item, a task). The row's unit cell names the definition's
unit, its range cell gives the definition's range (0 to 1, at least 0, -1 to 1, written with the
README's dashes and signs; a row for several keys may list several, comma-separated) and its formula cell is not empty.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from analysis.metrics import METRIC_DEFINITIONS
from analysis.metrics.definitions import MetricDefinition
from analysis.metrics.interaction import METRIC_DEFINITIONS as INTERACTION_DEFINITIONS
from analysis.metrics.praxis import METRIC_DEFINITIONS as PRAXIS_DEFINITIONS
from analysis.tasks.task_metrics import ProtocolTask, task_metric_definitions
from api.exports.metric_catalogue import metric_catalogue

README = Path(__file__).resolve().parents[2] / "analysis" / "README.md"
HEADER = re.compile(r"^\|\s*key\s*\|\s*unit\s*\|\s*range\s*\|\s*formula\s*\|\s*$")
# A protocol of K tasks stands in for every task list (task keys and bounds are made per protocol:
# the README writes them with {task} and k).
K = 3
TASK_DEFINITIONS = {
    key.replace("task_1", "{task}"): definition
    for key, definition in task_metric_definitions([ProtocolTask("task_1", 60.0), *(
        ProtocolTask(f"other_{i}", 60.0) for i in range(K - 1)
    )]).items()
    if ".other_" not in key
}  # fmt: skip
MINUS, EN_DASH, ELLIPSIS, AT_LEAST = "\u2212", "\u2013", "\u2026", "\u2265"
# Bounds are stated to two decimals (log2 7 = 2.807 as 2.81).
TOLERANCE = 0.005


def _pattern(key: str) -> re.Pattern[str]:
    """A README key pattern as a regular expression over keys."""
    out = ""
    for part in re.split(r"(\{[^}]*\}|<[^>]*>)", key):
        if part.startswith("{") and "," in part:
            out += "(?:" + "|".join(re.escape(a.strip()) for a in part[1:-1].split(",")) + ")"
        elif part.startswith(("{", "<")):
            out += r"[^.]+"
        else:
            out += re.escape(part)
    return re.compile(out + "$")


def _ranges(cell: str) -> list[tuple[float, float]]:
    """The ranges a range cell states: 0 to 1, -1 to 1, at least 0 (an upper bound of inf)."""
    cell = cell.replace(MINUS, "-").replace(ELLIPSIS, EN_DASH)
    cell = cell.replace("k(k-1)/2", f"{K * (K - 1) / 2:g}").replace(EN_DASH + "k", f"{EN_DASH}{K}")
    number = r"-?\d+(?:\.\d+)?"
    found = []
    for text in re.findall(rf"{number}\s*{EN_DASH}\s*{number}|{AT_LEAST}\s*{number}", cell):
        if text.startswith(AT_LEAST):
            found.append((float(text[1:]), math.inf))
        else:
            low, high = re.split(rf"\s*{EN_DASH}\s*", text, maxsplit=1)
            found.append((float(low), float(high)))
    return found


def readme_rows() -> list[dict[str, object]]:
    """Every row of the README's key/unit/range/formula tables."""
    rows, in_table = [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if HEADER.match(line):
            in_table = True
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        if not in_table or set(line) <= set("|-: "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4:
            continue
        key, unit, valid, formula = cells
        rows.append(
            {
                "patterns": [_pattern(k) for k in re.findall(r"`([^`]+)`", key)],
                "unit": unit,
                "ranges": _ranges(valid),
                "formula": formula,
            }
        )
    return rows


def _sample_key(key: str) -> str:
    """A templated key (praxis.score.<item>) as a stored key would read."""
    return re.sub(r"<[^>]*>", "wave", key).replace("{task}", "pill_box")


def every_definition() -> dict[str, MetricDefinition]:
    return {**METRIC_DEFINITIONS, **PRAXIS_DEFINITIONS, **INTERACTION_DEFINITIONS, **TASK_DEFINITIONS}


def test_the_data_dictionary_holds_only_defined_metrics():
    # Every key the data dictionary exports is one of these definitions, so is checked below.
    assert set(metric_catalogue()) <= set(every_definition())


@pytest.mark.parametrize("key", sorted(every_definition()))
def test_each_definition_carries_a_unit_a_range_and_a_description(key):
    definition = every_definition()[key]
    assert definition.unit.strip() and definition.description.strip()
    assert not math.isnan(definition.minimum) and not math.isnan(definition.maximum)
    assert definition.minimum <= definition.maximum
    assert definition.family == key.split(".", 1)[0]


@pytest.mark.parametrize("key", sorted(every_definition()))
def test_each_metric_is_documented_with_its_unit_range_and_formula(key):
    definition = every_definition()[key]
    stored = _sample_key(key)
    rows = [row for row in readme_rows() if any(p.match(stored) for p in row["patterns"])]
    assert rows, f"{key} has no row in a `| key | unit | range | formula |` table of analysis/README.md"
    row = rows[0]
    assert row["formula"], f"{key}: the README row gives no formula"
    units = [u.strip() for u in str(row["unit"]).split(",")]
    assert definition.unit in units, (
        f"{key}: the README says unit {row['unit']!r}, the definition {definition.unit!r}"
    )
    stated = [
        (low, high)
        for low, high in row["ranges"]
        if abs(low - definition.minimum) <= TOLERANCE
        and (high == definition.maximum or abs(high - definition.maximum) <= TOLERANCE)
    ]
    assert stated, (
        f"{key}: the README's range {row['ranges']} misses the definition's "
        f"[{definition.minimum}, {definition.maximum}]"
    )
