"""Reruns every benchmark of issue 5 and prints one summary table.

    AEZOO_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/run_all.py

Runs, in this order (each prints its own full table too):

1. `predictor_speed.py`: predictor training throughput vs the Keras
   ConvLSTM2D stack, GFLOP/s and share of the measured matmul peak;
2. `inference.py`: batch-1 latency and batch-64 throughput of every model
   through `model.predict`, `tf.function`, the SavedModel and `aezoo.predict`;
3. `time_to_quality.py`: wall time of each default recipe to its quality bar;
4. `data_pipeline.py`: Moving MNIST pipeline rate vs the model's;
5. `tuning_memory.py`: RSS over the trials of a search, one process per
   trial vs one process (issue 7).

Run it on a quiet machine: every figure is a wall-clock time. About 15
minutes on the 2-core CPU.
"""

import argparse
import statistics
import sys
import pathlib

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import data_pipeline  # noqa: E402
import inference  # noqa: E402
import predictor_speed  # noqa: E402
import time_to_quality  # noqa: E402
import tuning_memory  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="predictor speed windows")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["speed", "inference", "quality", "data", "tuning"])
    args = parser.parse_args()
    summary = []
    if "speed" not in args.skip:
        print("\n## Predictor training throughput\n")
        speed = predictor_speed.main(["--repeats", str(args.repeats), "--steps", "2"])
        default = "aezoo default"
        summary.append(("predictor training, sequences/s (batch 16)",
                        f"{speed['batch'] / speed['step_s'][default]:.1f}"))
        summary.append(("predictor GFLOP/s / Keras ConvLSTM2D stack GFLOP/s",
                        f"{speed['ratio_to_keras'][default]:.2f}"))
        summary.append(("predictor share of measured matmul peak",
                        f"{100 * speed['gflops'][default] / speed['peak_gflops']:.0f}% "
                        f"of {speed['peak_gflops']:.0f} GFLOP/s"))
    if "inference" not in args.skip:
        print("\n## Inference\n")
        rows = inference.main(["--repeats", "20"])
        ratios = [
            r["ms"] / next(q["ms"] for q in rows if (q["model"], q["batch"], q["path"]) == (r["model"], r["batch"], "tf.function"))
            for r in rows if r["path"] == "SavedModel"
        ]
        summary.append(("SavedModel / tf.function time, median over models and batches",
                        f"{statistics.median(ratios):.2f}"))
    if "quality" not in args.skip:
        print("\n## Time to quality\n")
        for row in time_to_quality.main([]):
            reached = row["seconds_to_bar"]
            summary.append((f"time to quality bar: {row['model']}",
                            "not reached" if reached is None else f"{reached:.1f} s"))
    if "data" not in args.skip:
        print("\n## Data pipeline\n")
        data_pipeline.main([])
    if "tuning" not in args.skip:
        print("\n## Tuning memory\n")
        for row in tuning_memory.main([]):
            summary.append((f"tuning RSS growth per trial, {row['mode']}",
                            f"{row['growth_mb_per_trial']} MB"))
    print("\n## Summary\n")
    print("| figure | value |\n|---|---:|")
    for name, value in summary:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
