"""`python -m analysis.gestures synth | train | evaluate` round trip in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

from analysis.gestures.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "analysis.gestures", *args],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_synth_train_evaluate_round_trip(tmp_path):
    data, model, figure = tmp_path / "data", tmp_path / "model.pt", tmp_path / "confusion.png"
    made = _run("synth", "--out", str(data), "--per-class", "6", "--seed", "1")
    assert made.returncode == 0, made.stderr
    sha = json.loads(made.stdout)["sha256"]

    trained = _run("train", "--data", str(data), "--out", str(model), "--epochs", "4", "--device", "cpu")
    assert trained.returncode == 0, trained.stderr
    result = json.loads(trained.stdout)
    assert result["data_sha256"] == sha
    assert result["metrics"]["epochs_run"] <= 4 and "test_accuracy" in result["metrics"]
    assert model.is_file()

    evaluated = _run("evaluate", "--model", str(model), "--data", str(data), "--figure", str(figure))
    assert evaluated.returncode == 0, evaluated.stderr
    assert "precision" in evaluated.stdout and "recall" in evaluated.stdout and "wave" in evaluated.stdout
    report = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert report["n_samples"] == 20  # 2 of 6 per class are test, 10 gestures
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors_are_sentences_and_a_non_zero_exit(tmp_path, capsys):
    assert main(["evaluate", "--model", str(tmp_path / "absent.pt"), "--data", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert "absent.pt does not exist; train one with" in error
    assert main(["train", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "m.pt")]) == 1
    assert "manifest.json does not exist" in capsys.readouterr().err
