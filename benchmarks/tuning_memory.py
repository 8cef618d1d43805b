"""Memory over the trials of a search: one process per trial vs one process.

Runs the same random search twice, with `trial_processes=True` (the default
of `aezoo tune`) and `False` (`--in-process`), and prints the resident set
size after every trial (the trials table's `rss_mb`: the trial process's
own after its trial, or the shared process's) and the search process's own
RSS before and after.

    python benchmarks/tuning_memory.py --trials 8

Results and the command's output are in docs/BENCHMARKS.md.
"""

import argparse
import json
import pathlib
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def measure(name, trials, trial_processes, folder):
    from aezoo.tuning import tune
    from aezoo.tuning.trials import resident_mb

    before = resident_mb()
    start = time.perf_counter()
    result = tune(
        name, max_trials=trials, epochs=1, steps_per_epoch=20, validation_steps=2,
        directory=pathlib.Path(folder) / ("processes" if trial_processes else "in_process"),
        verbose=0, trial_processes=trial_processes,
    )
    wall = time.perf_counter() - start
    rss = [row["rss_mb"] for row in result.table]
    growth = (rss[-1] - rss[1]) / (len(rss) - 2) if len(rss) > 2 else float("nan")
    return {
        "mode": "process per trial" if trial_processes else "one process",
        "rss_mb_per_trial": [round(value, 1) for value in rss],
        # From the second trial on: the first one also pays for imports and
        # first-time set-up.
        "growth_mb_per_trial": round(growth, 2),
        "spread_mb": round(max(rss) - min(rss), 1),
        "median_rss_mb": round(statistics.median(rss), 1),
        "search_process_mb": [round(before, 1), round(resident_mb(), 1)],
        "train_s_per_trial": round(statistics.median(row["seconds"] for row in result.table), 1),
        # The whole search (start-up, trials, table, export) over its trials.
        "wall_s_per_trial": round(wall / trials, 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="conv_autoencoder")
    parser.add_argument("--trials", type=int, default=8)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        results = [measure(args.model, args.trials, mode, folder) for mode in (True, False)]
    print(f"{args.model}, {args.trials} trials of 20 steps")
    print("| mode | RSS after each trial (MB) | growth per trial (MB) | search process "
          "before/after (MB) | trial training s | search wall s per trial |")
    print("|---|---|---:|---|---:|---:|")
    for r in results:
        print(f"| {r['mode']} | {', '.join(map(str, r['rss_mb_per_trial']))} | "
              f"{r['growth_mb_per_trial']} | {r['search_process_mb'][0]} / {r['search_process_mb'][1]} | "
              f"{r['train_s_per_trial']} | {r['wall_s_per_trial']} |")
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
