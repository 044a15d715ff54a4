"""The same work on a Dask cluster: a real scheduler and two worker processes on 127.0.0.1,
started as on a cluster's machines (``dask scheduler``, ``dask worker``). Scenario sweeps,
coalition values and a design's parts give what one process gives, through the library
and the command line; a worker killed in the middle of a sweep loses no result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from distributed import Client, get_task_stream

from symbionet import load_park
from symbionet.assessment.sharing import share
from symbionet.errors import SymbionetError
from symbionet.executors import SCHEDULER_VARIABLE, InProcess, executor_for, run_tasks
from symbionet.optimisation.solve import design
from symbionet.optimisation.synthetic import write_synthetic_park
from symbionet.register.park import Park
from symbionet.scenarios.compare import ScenarioResult, run_scenarios
from tests.conftest import EXAMPLES, write_park
from tests.databases import free_port
from tests.test_share_by_hand import PARK, SHAPLEY

BIN = Path(sys.executable).parent
KALUNDBORG = EXAMPLES / "kalundborg"


@pytest.fixture(scope="module")
def address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a Dask scheduler with two worker processes of one thread each."""
    folder = tmp_path_factory.mktemp("dask")
    file = folder / "scheduler.json"
    log = (folder / "dask.log").open("w")
    common = ["--host", "127.0.0.1", "--no-dashboard", "--scheduler-file", str(file)]
    scheduler = subprocess.Popen(
        [BIN / "dask", "scheduler", "--port", "0", "--dashboard-address", ":0", *common],
        stdout=log,
        stderr=log,
    )
    workers = subprocess.Popen(
        [BIN / "dask", "worker", "--nworkers", "2", "--nthreads", "1", *common],
        stdout=log,
        stderr=log,
        cwd=folder,
    )
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert file.exists(), (folder / "dask.log").read_text()
        yield str(json.loads(file.read_text())["address"])
    finally:
        for process in (workers, scheduler):
            process.terminate()
            process.wait(timeout=60)
        log.close()


@pytest.fixture(scope="module")
def client(address: str) -> Iterator[Client]:
    with Client(address, set_as_default=False) as connected:
        connected.wait_for_workers(2, timeout=60)
        yield connected


@pytest.fixture(scope="module")
def executor(client: Client) -> Executor:
    return client.get_executor(pure=False)


@pytest.fixture(scope="module")
def kalundborg() -> Park:
    return load_park(KALUNDBORG)


@pytest.fixture(scope="module")
def sweep(kalundborg: Park) -> ScenarioResult:
    """The example's scenarios beside the base, one after the other in this process."""
    return run_scenarios(kalundborg, executor=InProcess())


#: Three of the example's scenarios, of three kinds of change (a price, an exchange rate,
#: a partner leaving), and among its quickest to run: with the base, four runs, enough to
#: keep both workers busy and to kill one in the middle (the sweep above runs them all).
SOME = ["gas_price_doubles", "weaker_krone", "asnaes_closes"]


@pytest.fixture(scope="module")
def some_swept(kalundborg: Park) -> ScenarioResult:
    """SOME beside the base, one after the other in this process."""
    return run_scenarios(kalundborg, SOME, executor=InProcess())


def same_answers(result: ScenarioResult, expected: ScenarioResult) -> None:
    assert list(result.figures.columns) == list(expected.figures.columns)
    for name in ("figures", "partners", "runs"):
        pd.testing.assert_frame_equal(getattr(result, name), getattr(expected, name))


def workers_of(client: Client, run: Callable[[], object]) -> set[str]:
    """The workers that ran the tasks of ``run()``."""
    with get_task_stream(client=client) as stream:
        run()
    return {task["worker"] for task in stream.data}


def test_a_sweep_on_the_cluster_equals_the_sequential_run(
    client: Client, executor: Executor, kalundborg: Park, sweep: ScenarioResult
) -> None:
    client.wait_for_workers(2, timeout=60)
    results: list[ScenarioResult] = []
    ran_on = workers_of(
        client, lambda: results.append(run_scenarios(kalundborg, executor=executor))
    )
    assert len(ran_on) == 2
    assert len(results[0].figures.columns) == 8  # the base and the example's 7 scenarios
    same_answers(results[0], sweep)


@pytest.fixture(scope="module")
def by_hand_park(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A park whose Shapley split is worked out by hand (``tests/test_share_by_hand.py``)."""
    return write_park(tmp_path_factory.mktemp("share") / "park", PARK)


def test_coalition_values_on_the_cluster_equal_the_sequential_ones(
    client: Client, executor: Executor, by_hand_park: Path
) -> None:
    park = load_park(by_hand_park)
    sequential = share(park, executor=InProcess())
    results = []
    assert workers_of(client, lambda: results.append(share(park, executor=executor)))
    pd.testing.assert_frame_equal(results[0].table, sequential.table)
    assert results[0].table["share_eur"].to_dict() == pytest.approx(SHAPLEY)


def test_the_parts_of_a_design_on_the_cluster_equal_the_sequential_design(
    client: Client, executor: Executor, tmp_path: Path
) -> None:
    park = load_park(write_synthetic_park(tmp_path / "p", 12, seed=2, candidates=30, hourly=False))
    said: list[str] = []
    sequential = design(park, executor=InProcess(), progress=lambda m, d, t: said.append(m))
    assert said[-2] == "solved 3 of 3 parts"
    results = []
    assert workers_of(client, lambda: results.append(design(park, executor=executor)))
    assert results[0].kpis == sequential.kpis
    pd.testing.assert_frame_equal(results[0].built, sequential.built)


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_of_a_sweep_loses_no_result(
    client: Client, executor: Executor, kalundborg: Park, some_swept: ScenarioResult
) -> None:
    client.wait_for_workers(2, timeout=60)
    pids = client.run(os.getpid)
    killed: list[str] = []

    def kill_a_busy_worker(message: str, done: float, total: float | None) -> None:
        busy = [worker for worker, tasks in client.processing().items() if tasks]
        if done and busy and not killed:
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.append(busy[0])

    result = run_scenarios(kalundborg, SOME, executor=executor, progress=kill_a_busy_worker)
    assert killed, "no worker was busy while the sweep ran"
    assert killed[0] not in client.scheduler_info()["workers"]
    assert list(result.figures.columns) == ["base", *SOME]
    same_answers(result, some_swept)


def symbionet(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """The command line as a user runs it, without SYMBIONET_SCHEDULER unless given."""
    variables = {k: v for k, v in os.environ.items() if k != SCHEDULER_VARIABLE}
    return subprocess.run(
        [BIN / "symbionet", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        env={**variables, **environment},
    )


@pytest.fixture(scope="module")
def by_hand(by_hand_park: Path) -> tuple[Path, dict[str, object]]:
    """The park split by hand, and its split on the command line with one solve after the
    other in this process."""
    folder = by_hand_park
    run = symbionet("share", str(folder), "--json", "--workers", "1")
    assert run.returncode == 0, run.stderr
    shares = json.loads(run.stdout)
    assert {r["actor"]: r["share_eur"] for r in shares["shares"]} == pytest.approx(SHAPLEY)
    return folder, shares


def on(how: str, address: str) -> tuple[list[str], dict[str, str]]:
    """The arguments and environment variables that name a scheduler ``how``."""
    return ([how, address], {}) if how.startswith("--") else ([], {how: address})


@pytest.mark.parametrize("how", ["--scheduler", SCHEDULER_VARIABLE])
def test_the_command_line_shares_on_a_cluster_as_in_one_process(
    client: Client, address: str, by_hand: tuple[Path, dict[str, object]], how: str
) -> None:
    folder, expected = by_hand
    arguments, environment = on(how, address)
    runs = []
    command = ("share", str(folder), "--json", *arguments)
    assert workers_of(client, lambda: runs.append(symbionet(*command, **environment)))
    assert runs[0].returncode == 0, runs[0].stderr
    assert json.loads(runs[0].stdout) == expected


@pytest.mark.slow
def test_the_command_line_starts_and_stops_a_local_cluster(
    by_hand: tuple[Path, dict[str, object]],
) -> None:
    folder, expected = by_hand
    run = symbionet("share", str(folder), "--json", "--workers", "2")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == expected


@pytest.mark.slow
@pytest.mark.parametrize("how", ["--scheduler", SCHEDULER_VARIABLE])
def test_an_unreachable_scheduler_is_named_with_what_to_check(
    by_hand: tuple[Path, dict[str, object]], how: str
) -> None:
    nowhere = f"tcp://127.0.0.1:{free_port()}"
    arguments, environment = on(how, nowhere)
    run = symbionet("share", str(by_hand[0]), *arguments, **environment)
    assert run.returncode == 1
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert lines[-2].startswith(f"scheduler: no Dask scheduler answers at '{nowhere}'")
    assert "`dask scheduler` runs there" in lines[-2]
    assert lines[-1] == "1 error"


def worker_processes() -> set[int]:
    """The worker processes started from this one."""
    import psutil

    children = psutil.Process().children(recursive=True)
    return {c.pid for c in children if "spawn_main" in " ".join(c.cmdline())}


def test_a_local_cluster_is_stopped_on_leaving_and_a_scheduler_left_running(
    address: str, client: Client
) -> None:
    import psutil

    running = worker_processes()
    with executor_for(workers=2) as pool:
        assert pool is not None
        started = worker_processes() - running
        assert pool.submit(os.getpid).result() in started
    assert len(started) == 2
    assert not {pid for pid in started if psutil.pid_exists(pid)}
    with executor_for(scheduler=address) as pool:
        assert pool is not None
        assert pool.submit(abs, -3).result() == 3
    assert client.submit(abs, -4).result() == 4


def test_tasks_of_a_task_on_a_dask_worker_run_in_its_process(client: Client) -> None:
    """A Dask worker cannot start processes: a task's own tasks (here 10, enough for a
    process pool) run in the worker, one after the other."""
    future = client.submit(run_tasks, abs, list(range(-10, 0)), pure=False)
    assert future.result() == list(range(10, 0, -1))


def test_the_choice_of_executor_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEDULER_VARIABLE, raising=False)
    with executor_for() as default, executor_for(workers=1) as one:
        assert default is None
        assert isinstance(one, InProcess)
    wrong: dict[str, dict[str, Any]] = {
        "workers: must be 1 or more, not 0": {"workers": 0},
        "workers: give a scheduler or a number of workers, not both": {
            "workers": 2,
            "scheduler": "tcp://127.0.0.1:8786",
        },
        "unknown address scheme 'http'": {"scheduler": "http://127.0.0.1:8786"},
    }
    for message, choice in wrong.items():
        with pytest.raises(SymbionetError, match=message), executor_for(**choice):
            pass
