"""Code issue + join round trip on loopback (issue target: p50 under 5 ms).

    .venv/bin/python -m bench.rendezvous_latency [--rounds 300]

One round: the signed-in helper POSTs /api/sessions, then the sharer POSTs /api/join with the
code; both over kept-alive TLS connections to a real `quickassist serve` subprocess.
"""

from __future__ import annotations

import argparse
import time

import httpx

from bench.service_process import percentile, running_service


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with running_service() as service:
        ctx = service.ssl_context
        with (
            httpx.Client(
                base_url=service.base_url, verify=ctx, headers={"Origin": service.base_url}
            ) as helper,
            httpx.Client(base_url=service.base_url, verify=ctx) as sharer,
        ):
            helper.post(
                "/api/auth/login",
                json={"username": service.helper_username, "password": service.helper_password},
            ).raise_for_status()
            times: list[float] = []
            for i in range(args.rounds + 20):
                start = time.perf_counter()
                code = helper.post("/api/sessions").json()["code"]
                joined = sharer.post("/api/join", json={"code": code})
                elapsed = time.perf_counter() - start
                assert joined.status_code == 200, joined.text
                if i >= 20:  # warm-up rounds excluded
                    times.append(elapsed * 1000)
    print(
        f"code issue + join round trip, {len(times)} rounds: "
        f"p50 {percentile(times, 50):.2f} ms, p95 {percentile(times, 95):.2f} ms, "
        f"p99 {percentile(times, 99):.2f} ms"
    )


if __name__ == "__main__":
    main()
