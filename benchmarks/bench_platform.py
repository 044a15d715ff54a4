"""Latency of the platform's main read endpoints under many concurrent clients; prints figures.

    .venv/bin/python benchmarks/bench_platform.py                     # Kalundborg and 10,000 sites
    .venv/bin/python benchmarks/bench_platform.py --parks 10000 --workers 2 --clients 200

For each park (the Kalundborg example, or ``generate_park(SITES, seed=1)``) and each number of
server processes, saves the park into a fresh database (SQLite, or ``--database postgresql``:
a throw-away server run from Debian's binaries as the tests run it), starts ``symbionet
serve`` on the loopback, signs in as the park's secretariat and takes an API token
(``POST /api/tokens``). Then, per endpoint, after a warm-up: ``--clients`` clients at once
(httpx, one event loop, in this process), each sending its next request as soon as its last
one is answered, until ``--requests`` are answered or ``--seconds`` have passed; prints the
50th, 95th and 99th percentile of the latency and the requests answered per second.

The references, measured in the same run: a bare FastAPI endpoint returning a constant,
served by uvicorn with the same number of processes and driven by the same clients; and
each endpoint with one client (the time of one request on an idle server).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[1]
KALUNDBORG = ROOT / "examples" / "kalundborg"
SEED = 1
EMAIL = "secretariat@bench.example"
PASSWORD = "correct horse battery staple 42"
GOALS = {"kalundborg": 0.050, "sites": 0.200}

bare = FastAPI()


@bare.get("/constant")
def constant() -> dict[str, int]:
    """The reference: an endpoint that does nothing."""
    return {"answer": 42}


@dataclass
class Figures:
    answered: int
    failed: int
    seconds: float
    latencies: list[float]
    bytes: int

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def rate(self) -> float:
        return self.answered / self.seconds


def endpoints(park_id: int) -> dict[str, str]:
    return {
        "summary": f"/api/parks/{park_id}",
        "streams": f"/api/parks/{park_id}/streams",
        "page": f"/api/parks/{park_id}/streams?offset=100&limit=100",
        "public": f"/api/public/parks/{park_id}",
        "dashboard": f"/parks/{park_id}",
    }


async def load(
    url: str,
    path: str,
    headers: dict[str, str],
    clients: int,
    requests: int,
    seconds: float,
    think: float = 0.0,
) -> Figures:
    """``clients`` clients at once, each sending its next request when its last is answered
    (after a pause drawn around ``think`` seconds, when given)."""
    pauses = random.Random(SEED)
    latencies: list[float] = []
    failed = 0
    size = 0
    sent = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=600
    ) as client:
        started = time.perf_counter()
        stop = started + seconds

        async def one_client() -> None:
            nonlocal failed, size, sent
            if think:  # the clients start apart
                await asyncio.sleep(pauses.uniform(0, 2 * think))
            while sent < requests and time.perf_counter() < stop:
                sent += 1
                began = time.perf_counter()
                try:
                    response = await client.get(path)
                except httpx.HTTPError:  # the connection dropped: counted, not timed
                    failed += 1
                    continue
                latencies.append(time.perf_counter() - began)
                size = len(response.content)
                if response.status_code != 200:
                    failed += 1
                if think:
                    await asyncio.sleep(pauses.expovariate(1 / think))

        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return Figures(len(latencies), failed, elapsed, latencies or [float("nan")], size)


def wait_for(url: str, process: subprocess.Popen[bytes], path: str, limit: float = 600) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped ({process.returncode})")
        try:
            if httpx.get(url + path, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {limit:.0f} s")


@contextmanager
def serving(command: list[str], url: str, probe: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        wait_for(url, process, probe)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    from tests.databases import free_port as port

    return port()


def prepare(url: str, which: str) -> tuple[int, int]:
    """Save the park into the empty database at ``url`` and make its secretariat's account;
    the park's id and its number of streams."""
    from symbionet.register.park import load_park
    from symbionet.store import accounts
    from symbionet.store.database import migrate, open_database
    from symbionet.store.repository import save_park

    if which == "kalundborg":
        park = load_park(KALUNDBORG)
    else:
        from symbionet.discovery.generate import generate_park

        park = generate_park(int(which), SEED)
    migrate(url)
    engine = open_database(url)
    try:
        park_id = save_park(engine, park, "benchmark")
        user = accounts.create_user(engine, EMAIL, "Secretariat", PASSWORD)
        accounts.grant(engine, user, park_id, "secretariat")
    finally:
        engine.dispose()
    return park_id, len(park.streams)


def token(url: str) -> str:
    """An API token of the secretariat, taken as a script takes it."""
    with httpx.Client(base_url=url, timeout=60) as client:
        session = client.post("/api/session", json={"email": EMAIL, "password": PASSWORD})
        session.raise_for_status()
        made = client.post("/api/tokens", headers={"X-CSRF-Token": session.json()["csrf_token"]})
        made.raise_for_status()
        value: str = made.json()["token"]
        return value


def report(name: str, figures: Figures, alone: float | None, goal: float | None) -> None:
    p50, p95, p99 = (figures.quantile(q) * 1000 for q in (0.5, 0.95, 0.99))
    verdict = "" if goal is None else ("  meets" if p95 <= goal * 1000 else "  misses")
    one = "" if alone is None else f"{alone * 1000:9.1f}"
    print(
        f"  {name:10} {figures.answered:6d} {figures.failed:4d} {figures.bytes / 1000:9.1f} "
        f"{p50:8.1f} {p95:8.1f} {p99:8.1f} {figures.rate:8.1f} {one:>9}{verdict}",
        flush=True,
    )


def header() -> None:
    print(
        f"  {'endpoint':10} {'answered':>6} {'fail':>4} {'kB':>9} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'req/s':>8} {'1 client':>9}",
        flush=True,
    )


def bench_park(which: str, workers: list[int], args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="symbionet-platform-") as scratch:
        server = None
        if args.database == "postgresql":
            from tests.databases import PostgresServer, postgres_bin

            server = PostgresServer(postgres_bin())
            server.start()
        try:
            db = (
                server.url(server.create_database())
                if server is not None
                else f"sqlite:///{scratch}/platform.sqlite"
            )
            started = time.perf_counter()
            park_id, streams = prepare(db, which)
            print(
                f"\npark {which}: {streams:,} streams, saved into {args.database} in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            goal = GOALS["kalundborg" if which == "kalundborg" else "sites"]
            for count in workers:
                bench_served(db, park_id, count, goal, args)
        finally:
            if server is not None:
                server.stop()


def bench_served(
    db: str, park_id: int, workers: int, goal: float, args: argparse.Namespace
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-c",
        "from symbionet.present.cli import main; main()",
        "serve",
        str(KALUNDBORG),
        "--db",
        db,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    print(
        f"symbionet serve --workers {workers}, {args.clients} clients"
        + (f" pausing {args.think:g} s on average" if args.think else "")
        + f", load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    header()
    with serving(command, url, "/api/public/parks"):
        headers = {"Authorization": f"Bearer {token(url)}"}
        for name, path in endpoints(park_id).items():
            if args.endpoints and name not in args.endpoints:
                continue
            warm = asyncio.run(load(url, path, headers, 4 * workers, 8 * workers, args.seconds))
            assert warm.failed == 0, f"{path} failed"
            alone = asyncio.run(load(url, path, headers, 1, args.alone, args.seconds))
            figures = asyncio.run(
                load(url, path, headers, args.clients, args.requests, args.seconds, args.think)
            )
            report(name, figures, statistics.median(alone.latencies), goal)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench_platform:bare",
        "--app-dir",
        str(ROOT / "benchmarks"),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    with serving(command, url, "/constant"):
        asyncio.run(load(url, "/constant", {}, 2 * workers, 100, args.seconds))
        alone = asyncio.run(load(url, "/constant", {}, 1, args.alone, args.seconds))
        figures = asyncio.run(
            load(url, "/constant", {}, args.clients, args.requests, args.seconds, args.think)
        )
        report("constant", figures, statistics.median(alone.latencies), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parks", nargs="+", default=["kalundborg", "10000"])
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=60.0, help="per endpoint at most")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean pause of a client between requests (s)"
    )
    parser.add_argument("--alone", type=int, default=20, help="requests of the one client")
    parser.add_argument("--endpoints", nargs="*", help="summary streams page public dashboard")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; clients and servers on this machine"
    )
    for which in args.parks:
        bench_park(which, args.workers, args)


if __name__ == "__main__":
    main()
