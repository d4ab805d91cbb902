"""Command line: make a synthetic data set, train a gesture model, evaluate it.

    python -m analysis.gestures synth --out DIR [--per-class N] [--seed S]
    python -m analysis.gestures train --data DIR --out MODEL [--epochs N] [--device cpu|cuda] [--seed S]
    python -m analysis.gestures evaluate --model MODEL --data DIR [--figure PATH] [--device cpu|cuda]

train prints its metrics as JSON; evaluate prints per-class precision and recall, then the JSON report.
"""

from __future__ import annotations

import argparse
import json
import sys

from analysis.gestures.synthetic import write_synthetic_dataset


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis.gestures", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    synth = commands.add_parser("synth", help="write a synthetic gesture data set")
    synth.add_argument("--out", required=True, help="data set directory to create")
    synth.add_argument("--per-class", type=int, default=40, help="samples per gesture (default 40)")
    synth.add_argument("--test-fraction", type=float, default=0.25, help="share of each class marked test")
    synth.add_argument("--seed", type=int, default=0)
    train = commands.add_parser("train", help="train a gesture classifier")
    train.add_argument("--data", required=True, help="data set directory (manifest.json + sequences.npz)")
    train.add_argument("--out", required=True, help="model file to write")
    train.add_argument("--epochs", type=int, default=60)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", choices=("cpu", "cuda"), default=None, help="default: cuda when available")
    evaluate = commands.add_parser("evaluate", help="evaluate a model on a data set's test split")
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--data", required=True)
    evaluate.add_argument("--figure", default=None, help="write the confusion matrix PNG here")
    evaluate.add_argument("--device", choices=("cpu", "cuda"), default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "synth":
            sha = write_synthetic_dataset(
                args.out, per_class=args.per_class, seed=args.seed, test_fraction=args.test_fraction
            )
            print(json.dumps({"data_dir": args.out, "sha256": sha}))
        elif args.command == "train":
            from analysis.gestures.train import train  # noqa: PLC0415 (torch loads only to train)

            result = train(args.data, args.out, epochs=args.epochs, seed=args.seed, device=args.device)
            print(
                json.dumps(
                    {
                        "model": str(result.model_path),
                        "data_sha256": result.data_sha256,
                        "metrics": result.metrics,
                    },
                    indent=1,
                )
            )
        else:
            from analysis.gestures.evaluate import evaluate, format_report  # noqa: PLC0415 (torch, as above)

            report = evaluate(args.model, args.data, args.figure, device=args.device)
            print(format_report(report))
            print(json.dumps(report.to_json()))
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
