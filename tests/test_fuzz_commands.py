"""Every command on corrupted parks and workbooks: a clear error or a result, never a traceback,
never a half-written output or a user's file lost."""

from __future__ import annotations

import pytest

from tests.fuzzing import FORMATS, Case, Outcome, fuzz

EXAMPLES = 340  # per format: over 1,000 corrupted parks and workbooks in all
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
