"""The task segmenter learns the synthetic task set and finds the tasks of held-out subjects.

Through the command line, as a person would run it: synth (16 training and 6 held-out subjects,
seed 0), train (15 epochs, one session per step, one CPU thread, seed 0), evaluate on the held-out subjects. The
requirement is F1@50 >= 0.8 on the held-out subjects; the segments of a held-out session then give
per-task metrics whose order errors are those of the session's true task order.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.tasks.__main__ import main
from analysis.tasks.dataset import read_dataset
from analysis.tasks.evaluation import label_segments
from analysis.tasks.model import load_model
from analysis.tasks.segmenter import segment
from analysis.tasks.segments import TaskSegment, validate_segments
from analysis.tasks.synth import TASK_CODES
from analysis.tasks.task_metrics import ProtocolTask, task_metrics

pytestmark = pytest.mark.slow


def test_trained_segmenter_finds_held_out_tasks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, model_path = tmp_path / "set", tmp_path / "task.pt"
    assert main(["synth", "--out", str(data), "--train-subjects", "16", "--test-subjects", "6"]) == 0
    assert main(["train", "--data", str(data), "--out", str(model_path), "--epochs", "15"]) == 0
    trained = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert trained["train_sequences"] == 16 and trained["test"]["sequences"] == 6
    assert main(["evaluate", "--model", str(model_path), "--data", str(data)]) == 0
    printed = capsys.readouterr().out
    figures = json.loads(printed.strip().splitlines()[-1])
    assert "F1@50" in printed and figures["sequences"] == 6
    assert figures["f1@50"] >= 0.8, printed
    assert figures["f1@10"] >= figures["f1@25"] >= figures["f1@50"]

    model = load_model(model_path)
    dataset = read_dataset(data)
    assert model.data_sha256 == dataset.sha256
    session = dataset.split("test")[0]
    segments = segment(session.values, dataset.rate_hz, model)
    assert segments and validate_segments(segments, len(session.labels) / dataset.rate_hz, TASK_CODES) == []
    truth = [
        TaskSegment(dataset.classes[label], start / dataset.rate_hz, end / dataset.rate_hz)
        for label, start, end in label_segments(session.labels)
    ]
    protocol = [ProtocolTask(code, 60.0) for code in TASK_CODES]
    found, expected = task_metrics(segments, protocol), task_metrics(truth, protocol)
    assert found["tasks.order_errors"].value == expected["tasks.order_errors"].value
    assert found["tasks.omitted_count"].value == expected["tasks.omitted_count"].value
