#!/usr/bin/env python3
"""Work per message of two builds of `vigil run` from `perf record` profiles on a noisy box.

The box's speed drifts by tens of per cent between runs, and every part of a profile scales with it
(same binary: 5.3-6.5 s of CPU, features and scan samples moving together). Dividing a run's
samples by the samples of functions neither build changed (the yardstick) cancels that drift, so
the ratio of the two builds' medians says how much more or less work one does per message.

  python -m tools.bench.perf_yardstick 'DIR/base-*.data' 'DIR/new-*.data' [--yardstick NAME ...]

Profiles: `perf record -e cpu-clock -g` of whole runs (e.g. wrappers as side_by_side.py's parties).
Also prints, per run, the shares of reference counting and of frames matching --watch names."""
from __future__ import annotations

import argparse
import glob
import statistics
import subprocess
import sys

YARDSTICK = ["NearRepeatFeatures7extract", "WindowTable3add", "vigil_tree_walk_wide", "discPassByTiles",
             "GiStarHotSet6retest"]


def stacks(path: str) -> list[list[str]]:
    out = subprocess.run(["perf", "script", "-i", path, "-F", "comm,ip,sym"], capture_output=True, text=True,
                         check=True).stdout
    result = []
    for block in out.split("\n\n"):
        lines = [line.strip() for line in block.strip().split("\n")[1:] if line.strip()]
        frames = [line.split(" ", 1)[1] if " " in line else "?" for line in lines]
        if frames:
            result.append(frames)
    return result


def measure(path: str, yardstick: list[str], watch: list[str]) -> tuple[float, str]:
    samples = stacks(path)
    ruler = sum(1 for s in samples if any(name in s[0] for name in yardstick))
    refcount = sum(1 for s in samples if s[0].startswith(("swift_retain", "swift_release")))
    shares = " ".join(f"{name} {100 * sum(1 for s in samples if any(name in f for f in s)) / len(samples):.2f}%"
                      for name in watch)
    line = f"{path}: {len(samples)} samples, yardstick {ruler}, ratio {len(samples) / ruler:.3f}, " \
           f"retain/release {100 * refcount / len(samples):.2f}% {shares}"
    return len(samples) / ruler, line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base")
    parser.add_argument("new")
    parser.add_argument("--yardstick", action="append", help="a function name (substring of the symbol) "
                        "neither build changed; default: the feature reads, window adds, tree walk, disc pass, re-test")
    parser.add_argument("--watch", action="append", default=[], help="also print the share of frames matching this")
    args = parser.parse_args(argv)
    yardstick = args.yardstick or YARDSTICK
    medians = []
    for pattern in (args.base, args.new):
        ratios = []
        for path in sorted(glob.glob(pattern)):
            ratio, line = measure(path, yardstick, args.watch)
            ratios.append(ratio)
            print(line)
        if not ratios:
            print(f"no profiles match {pattern}", file=sys.stderr)
            return 2
        medians.append(statistics.median(ratios))
        print(f"{pattern}: median ratio {medians[-1]:.3f} (range {min(ratios):.3f}-{max(ratios):.3f})")
    print(f"new / base work per message: {medians[1] / medians[0]:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
