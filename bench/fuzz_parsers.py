"""Fuzz every network parser for a million inputs (or more): only `ProtocolError` may come out.

    .venv/bin/python -m bench.fuzz_parsers [--inputs 1000000] [--seed 1]

Round-robin over the targets of tests/fuzz/targets.py; each input is byte edits of one of the
target's seeds (the committed protocol vectors) or of the target's last input (edits stack
up), a swap of one value in a seed's JSON (so the field checks are reached, not only the JSON
reader), or random bytes. Any exception that is not the package's own is a finding: the first
input of each kind is printed (hex) to reproduce, and the exit status is 1. The CI keeps a bounded
version of the same targets (tests/fuzz/test_parsers.py); docs/security.md records the runs.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter

from tests.fuzz.mutations import mutate, mutate_json
from tests.fuzz.targets import EXPECTED, build_targets


def run(inputs: int, seed: int) -> int:
    rng = random.Random(seed)
    targets = build_targets()
    last = [target.seeds[0] for target in targets]
    outcomes: dict[str, Counter[str]] = {target.name: Counter() for target in targets}
    spent = Counter[str]()
    findings: dict[tuple[str, str], bytes] = {}
    started = time.perf_counter()
    for n in range(inputs):
        index = n % len(targets)
        target = targets[index]
        roll = rng.random()
        if roll < 0.1:
            data = rng.randbytes(rng.randint(0, 64))
        elif roll < 0.35:
            data = mutate(rng, last[index])
        elif roll < 0.65:
            data = mutate_json(rng, rng.choice(target.seeds))
        else:
            data = mutate(rng, rng.choice(target.seeds))
        if len(data) > 100_000:
            data = data[:100_000]
        last[index] = data if len(data) < 4096 else target.seeds[0]
        began = time.perf_counter()
        try:
            target.parse(data)
            outcomes[target.name]["accepted"] += 1
        except EXPECTED as error:
            outcomes[target.name][type(error).__name__] += 1
        except Exception as error:  # a finding: anything else that escapes a parser
            kind = type(error).__name__
            outcomes[target.name][f"FINDING {kind}"] += 1
            findings.setdefault((target.name, kind), data)
        spent[target.name] += time.perf_counter() - began
    elapsed = time.perf_counter() - started
    print(f"{inputs} inputs, seed {seed}, {len(targets)} targets, {elapsed:.1f} s\n")
    print("| target | inputs | accepted | refused (by error) | seconds |")
    print("| --- | --- | --- | --- | --- |")
    for target in targets:
        counts = outcomes[target.name]
        total = sum(counts.values())
        refused = ", ".join(f"{k} {v}" for k, v in counts.most_common() if k != "accepted")
        print(
            f"| {target.name} | {total} | {counts['accepted']} | {refused} "
            f"| {spent[target.name]:.1f} |"
        )
    for (name, kind), data in findings.items():
        print(f"\nFINDING in {name}: {kind} for input {data[:2000].hex()}", file=sys.stderr)
    return 1 if findings else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.exit(run(args.inputs, args.seed))


if __name__ == "__main__":
    main()
