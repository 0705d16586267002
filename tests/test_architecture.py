"""The layout, checked from the code's own imports: stages one way, no cycles, no oversized modules.

The direction is `cli -> pipeline -> {io, analysis, documents, delivery, parallel} -> model`:

- the edge (`cli`, `__main__`, `api`) may import anything of the runtime; `pipeline` anything but the edge;
- a stage imports its own modules, `model` and the shared modules, not another stage, except the few
  edges in ALLOWED, each with its reason;
- `engines` (Spark) imports the stages and `model` (it runs their steps elsewhere); no stage imports it;
- `model` imports only itself and the shared modules;
- the shared modules (`config`, `errors`, `period`, `interrupts`, `formats`, the package's `__init__`) import
  only each other;
- `dev` (bench, sample generators) may import anything; nothing in the runtime imports `dev`.

Every import counts: module level, inside functions (lazy imports) and under `if TYPE_CHECKING:` (an
annotation-only import is still a dependency a reader follows).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "reportgen"
MAX_LINES = 600

EDGE = {"cli", "__main__", "api"}
# "" is reportgen/__init__.py (the version); formats is the one number vocabulary every stage prints with
SHARED = {"config", "config_checks", "errors", "period", "interrupts", "formats", ""}
STAGES = {"io", "analysis", "documents", "delivery", "parallel"}

# (importing module, imported module prefix): the stage-to-stage imports the layout allows, and why
ALLOWED = {
    # the one place a kind of table names its loader; the rest of analysis never reads files
    ("reportgen.analysis.kinds", "reportgen.io.load"): "a data kind binds its loader",
    ("reportgen.analysis.kinds", "reportgen.io.transactions"): "a data kind binds its loader",
    # the sent record is written atomically into the period folder, beside the briefing it records
    ("reportgen.delivery.deliver", "reportgen.io.write"): "atomic write of sent.json",
    # the render worker runs the documents stage in its own processes
    ("reportgen.parallel.worker", "reportgen.documents"): "the worker renders the documents",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """Return the module of ours an imported name lives in (a name from a package is that package)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from reportgen.documents import formats` imports the submodule, not just the package
            names = [f"{node.module}.{alias.name}" for alias in node.names] or [node.module]
        assert not (isinstance(node, ast.ImportFrom) and node.level), f"{path}: use absolute imports"
        for name in names:
            if name == "reportgen" or name.startswith("reportgen."):
                target = _resolve(name)
                if target is not None:
                    found.add(target)
    return found


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _area(module: str) -> str:
    """Return the top-level area of a module: a stage, 'model', 'pipeline', an edge or shared module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _allowed(source: str, target: str) -> bool:
    a, b = _area(source), _area(target)
    if a == b or b in SHARED:
        return a not in SHARED or b in SHARED
    if a in SHARED:
        return False  # the shared modules import nothing of the stages
    if b == "dev":
        return False  # developer tools stay out of the runtime
    if a in EDGE or a == "dev":
        return True
    if a == "pipeline":
        return b not in EDGE
    if a in STAGES:
        if b == "model":
            return True
        return any(source == s and (target == t or target.startswith(t + ".")) for s, t in ALLOWED)
    if a == "engines":
        return (
            b in STAGES or b == "model"
        )  # an engine runs the stages' steps elsewhere (Spark), never the reverse
    if a == "model":
        return False
    raise AssertionError(f"{source}: not in any known area; add it to the layout")


def test_the_package_has_the_stage_folders() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders >= STAGES | {"model", "dev"}


def test_imports_go_one_way() -> None:
    wrong = sorted(f"{s} -> {t}" for s, targets in GRAPH.items() for t in targets if not _allowed(s, t))
    assert wrong == [], "imports against the layout (see this module's docstring):\n" + "\n".join(wrong)


def test_every_allowed_exception_is_still_needed() -> None:
    used = {(s, t) for s, t in ALLOWED if any(x == t or x.startswith(t + ".") for x in GRAPH.get(s, ()))}
    assert used == set(ALLOWED), f"drop the exceptions nobody needs: {set(ALLOWED) - used}"


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle() -> None:
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_the_size_limit(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module]}: {lines} lines; split it along its seams"


def test_the_checker_sees_a_cycle_and_a_wrong_way_import() -> None:
    # the rules themselves, on made-up modules: a test that cannot fail proves nothing
    assert not _allowed("reportgen.model.data", "reportgen.documents.brand")
    assert not _allowed("reportgen.documents.html", "reportgen.analysis.profile")
    assert not _allowed("reportgen.config", "reportgen.model")
    assert not _allowed("reportgen.pipeline", "reportgen.cli")
    assert not _allowed("reportgen.io.load", "reportgen.dev.sample")
    assert _allowed("reportgen.documents.html", "reportgen.documents.formats")
    assert _allowed("reportgen.analysis.cluster", "reportgen.model")
    saved = dict(GRAPH)
    try:
        GRAPH["reportgen.period"] = {*GRAPH["reportgen.period"], "reportgen.errors"}
        GRAPH["reportgen.errors"] = {*GRAPH["reportgen.errors"], "reportgen.period"}
        assert _cycle() is not None
    finally:
        GRAPH.clear()
        GRAPH.update(saved)
