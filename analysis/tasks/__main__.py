"""Command line: make the synthetic task set, train a task segmenter, evaluate it.

    python -m analysis.tasks synth --out DIR [--train-subjects N] [--test-subjects N] [--seed S]
    python -m analysis.tasks train --data DIR --out MODEL [--epochs N] [--seed S] [--threads T]
    python -m analysis.tasks evaluate --model MODEL --data DIR [--split test]
    python -m analysis.tasks demo --model MODEL --out VIDEO.mp4

demo renders the demo session (a drawn person doing the five tasks), analyses it with the pipeline
and prints the true and the found segments and the same figures on that one session.

train writes MODEL and MODEL's manifest (<name>.manifest.json) and prints the manifest's metrics as
JSON; evaluate prints frame accuracy, edit score and F1@10/25/50 on the split's sessions (the
held-out subjects by default), then the same figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys

from analysis.tasks.dataset import read_dataset
from analysis.tasks.synth import write_synthetic_dataset


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis.tasks", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    synth = commands.add_parser("synth", help="write the synthetic task set")
    synth.add_argument("--out", required=True, help="data set directory to create")
    synth.add_argument("--train-subjects", type=int, default=24)
    synth.add_argument("--test-subjects", type=int, default=8, help="held-out subjects (split 'test')")
    synth.add_argument("--seed", type=int, default=0)
    train = commands.add_parser("train", help="train a task segmenter on a data set's training split")
    train.add_argument("--data", required=True, help="data set directory (manifest.json + .npz files)")
    train.add_argument("--out", required=True, help="model file to write (.pt)")
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--threads", type=int, default=1, help="CPU threads for torch (default 1)")
    evaluate = commands.add_parser("evaluate", help="evaluate a task model on a data set split")
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--data", required=True)
    evaluate.add_argument("--split", default="test", help="which sessions (default: the held-out 'test')")
    demo = commands.add_parser("demo", help="render, analyse and segment the demo session")
    demo.add_argument("--model", required=True)
    demo.add_argument("--out", required=True, help="video file to write (.mp4)")
    return parser


def _format(figures: dict[str, float]) -> str:
    return (
        f"sessions {figures['sequences']:.0f}, frames {figures['frames']:.0f}\n"
        f"frame accuracy {figures['frame_accuracy']:.3f}\n"
        f"edit score     {figures['edit_score']:.3f}\n"
        f"F1@10          {figures['f1@10']:.3f}\n"
        f"F1@25          {figures['f1@25']:.3f}\n"
        f"F1@50          {figures['f1@50']:.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "synth":
            sha = write_synthetic_dataset(args.out, args.train_subjects, args.test_subjects, args.seed)
            print(json.dumps({"data_dir": args.out, "sha256": sha}))
            return 0
        if args.command == "demo":
            from analysis.tasks.demo_video import analyse_demo  # noqa: PLC0415 (the pipeline loads here)

            truth, found, figures = analyse_demo(args.out, args.model)
            for name, segments in (("true", truth), ("found", found)):
                print(
                    f"{name}: "
                    + ", ".join(f"{s.task_code} {s.start_s:.1f}-{s.end_s:.1f} s" for s in segments)
                )
            print(_format(figures))
            print(json.dumps(figures))
            return 0
        # torch loads only to train or evaluate
        from analysis.tasks.model import load_model, save_model  # noqa: PLC0415
        from analysis.tasks.train import evaluate_model, train_segmenter  # noqa: PLC0415

        dataset = read_dataset(args.data)
        if args.command == "train":
            model = train_segmenter(
                dataset.split("train"),
                dataset.classes,
                test_sequences=dataset.split("test"),
                epochs=args.epochs,
                seed=args.seed,
                threads=args.threads,
                data_sha256=dataset.sha256,
            )
            manifest = save_model(model, args.out)
            print(
                json.dumps(
                    {"model": args.out, "manifest": str(manifest), **model.manifest().metrics}, indent=1
                )
            )
        else:
            model = load_model(args.model)
            sessions = dataset.split(args.split)
            if not sessions:
                raise ValueError(f"the data set has no session in the split {args.split!r}.")
            if model.classes != dataset.classes:
                raise ValueError(
                    f"the model's classes {model.classes} are not the data set's {dataset.classes}."
                )
            figures = evaluate_model(model, sessions)
            print(_format(figures))
            print(json.dumps(figures))
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
