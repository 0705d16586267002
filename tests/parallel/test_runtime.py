"""How the process uses the machine: optional modules kept out of a library's load, the collector, cores."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import pytest

from reportgen.parallel.runtime import (
    Background,
    collector_paused,
    cpu_lanes,
    resume_collector,
    without_optional_module,
)
from tests.conftest import ROOT


def test_a_library_loaded_without_an_optional_module_falls_back_and_the_module_stays_importable() -> None:
    code = (
        "import sys\n"
        "from reportgen.parallel.runtime import without_optional_module\n"
        "with without_optional_module('pandas'):\n"
        "    import sklearn.utils.fixes as fixes\n"
        "print(fixes.pd is None, 'pandas' in sys.modules)\n"
        "import pandas\n"
        "print(pandas.DataFrame({'a': [1]}).shape)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    # scikit-learn took the no-pandas path; pandas itself still imports and works afterwards
    assert done.stdout.split("\n")[:2] == ["True False", "(1, 1)"]


def test_a_module_already_loaded_is_left_alone() -> None:
    import json

    with without_optional_module("json"):
        import json as again
    assert again is json and sys.modules["json"] is json


def test_the_collector_is_paused_in_the_block_then_resumes_with_the_block_frozen() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    try:
        with collector_paused():
            assert not gc.isenabled()
            made = [[i] for i in range(1000)]  # objects that outlive the block
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(made)
    finally:
        gc.unfreeze()


def test_resuming_freezes_what_was_made_and_collects_at_the_threshold_given() -> None:
    default = gc.get_threshold()
    gc.disable()
    try:
        made = [[i] for i in range(1000)]  # a warm-up's objects, made with the collector off
        resume_collector(50_000)
        assert gc.isenabled() and gc.get_threshold() == (50_000, *default[1:])
        assert gc.get_freeze_count() >= len(made)
    finally:
        gc.set_threshold(*default)
        gc.unfreeze()
        gc.enable()


def test_cpu_lanes_counts_the_cores_this_process_may_use() -> None:
    assert 1 <= cpu_lanes() <= (os.cpu_count() or 1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's nice value is Linux's")
def test_background_work_runs_at_lower_priority_and_its_failure_is_raised_at_join() -> None:
    mine = os.getpriority(os.PRIO_PROCESS, 0)  # on Linux: this thread's nice value
    seen: list[int] = []
    Background(lambda: seen.append(os.getpriority(os.PRIO_PROCESS, 0)), niceness=5).join()
    assert seen == [min(mine + 5, 19)]
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the calling thread keeps its own priority

    def fail() -> None:
        raise ValueError("no template")

    failing = Background(fail)
    with pytest.raises(ValueError, match="no template"):
        failing.join()
