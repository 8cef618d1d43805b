"""Trains every model's `as_posted` and `default` recipe for a bounded budget
and prints what happened: the task metric and each diagnostic's verdict.

The numbers in docs/FAILURES.md come from this script:

    AEZOO_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/failures.py --out runs/failures

Each run is `aezoo train NAME --preset P --out OUT/NAME-P [--set ...]`
followed by `aezoo evaluate OUT/NAME-P`; a rerun resumes finished runs
instead of training again. `--only NAME` restricts to one model.
"""

import argparse
import json
import pathlib
import time

import aezoo
from aezoo import training
from aezoo.training.evaluate import evaluate_run

# Budgets that fit this 2-core machine; the recipes' own budgets are used
# where they are already small. The predictor's default recipe trains much
# longer (an artifact run); here both predictor presets see the same data:
# 2 epochs of 800 generated sequences (100 steps of 16).
BUDGETS = {
    ("convlstm_bidir_predictor", "default"): [
        "fit.epochs=2", "data.options.sequences_per_epoch=800",
    ],
    ("convlstm_bidir_predictor", "as_posted"): ["fit.epochs=2"],
}


def run(name, preset, out):
    run_dir = pathlib.Path(out) / f"{name}-{preset}"
    start = time.time()
    result = training.train(
        name, preset, out=run_dir, overrides=BUDGETS.get((name, preset), []), verbose=2
    )
    seconds = time.time() - start
    metrics = evaluate_run(run_dir) if result.status == "finished" else {}
    verdicts = json.loads((run_dir / "diagnostics.json").read_text())[-1]
    return {
        "model": name,
        "preset": preset,
        "status": result.status,
        "seconds": round(seconds, 1),
        "metrics": metrics,
        "verdicts": {v["check"]: {"ok": v["ok"], "message": v["message"], "numbers": v["numbers"]} for v in verdicts},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/failures")
    parser.add_argument("--only", action="append", help="model name (repeatable)")
    args = parser.parse_args()
    rows = []
    for name in args.only or aezoo.list_models():
        for preset in ("as_posted", "default"):
            rows.append(run(name, preset, args.out))
            (pathlib.Path(args.out) / "summary.json").write_text(json.dumps(rows, indent=2))
    print("\n| model | preset | status | s | metrics | diagnostics |\n|---|---|---|---:|---|---|")
    for row in rows:
        metrics = ", ".join(
            f"{k}={v:.4g}" for k, v in row["metrics"].items() if isinstance(v, float)
        )
        checks = "; ".join(
            f"{k}: {'ok' if v['ok'] else 'PROBLEM'}" for k, v in row["verdicts"].items()
        )
        print(f"| {row['model']} | {row['preset']} | {row['status']} | {row['seconds']} | {metrics} | {checks} |")


if __name__ == "__main__":
    main()
