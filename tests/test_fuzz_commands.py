"""Every command on corrupted parks and workbooks: a clear error or a result, never a traceback,
never a half-written output or a user's file lost."""

from __future__ import annotations

import pytest

from tests.fuzzing import FORMATS, Case, Outcome, base_case, fuzz, run_case

EXAMPLES = 150  # per format: 450 corrupted parks and workbooks in all (the report draws more)
FAILURES = {"traceback", "partial", "destructive"}


def _sound(case: Case, outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        assert outcome.kind not in FAILURES, (
            f"{outcome.command}: {outcome.kind} on {case.describe()}\n{outcome.detail}"
        )


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_command_gives_a_result_or_a_clear_error(fmt: str) -> None:
    fuzz(fmt, EXAMPLES, _sound)


def _case(base: str, fmt: str, table: str, column: str, value: str, command: str) -> Case:
    case = base_case(base, fmt)
    rows = case.tables[table]
    rows[1][rows[0].index(column)] = value
    case.commands = [command]
    return case


def _empty_tables() -> Case:
    case = base_case("tiny", "folder")
    for table in ("streams", "exchanges"):
        case.tables[table] = case.tables[table][:1]
    case.commands = ["convert json"]
    return case


# Found by benchmarks/fuzz_report.py at 3,060 cases, beyond the cases above.
def test_a_park_with_empty_tables_converts_to_json_that_loads() -> None:
    case = _empty_tables()
    _sound(case, run_case(case))


def test_a_name_with_a_carriage_return_converts_to_a_folder_that_loads() -> None:
    case = _case("small", "json", "sites", "name", "Power\rstation", "convert folder")
    _sound(case, run_case(case))


def test_check_refuses_a_capacity_unit_that_is_no_rate() -> None:
    case = _case("small", "folder", "technologies", "capacity_unit", "kg/s/s", "check")
    assert [o.kind for o in run_case(case)] == ["error"]
