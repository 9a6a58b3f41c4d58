"""The package's shape (ARCHITECTURE.md): layers that import one way, no cycles, small modules, light
imports for loading and ranking, and a README whose examples run."""

import ast
import re
import shutil
import subprocess
import sys

import pytest

from ..conftest import ROOT

PACKAGE = ROOT / "glutedata"
LAYERS = ["cli", "publish", "views", "query", "stats", "data"]  # top to bottom; markup and _version under all


def _module(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _exists(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(path) -> set[str]:
    """glutedata modules a file imports, function-level imports included."""
    name, out = _module(path), set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for a in node.names:  # a submodule when one exists by that name, else a name defined in base
                sub = f"{base}.{a.name}"
                out.add(sub if _exists(sub) else base)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m == "glutedata" or m.startswith("glutedata.")}


def _layer(module: str) -> int | None:
    part = module.split(".")[1] if "." in module else None
    if part in ("markup", "_version"):
        return len(LAYERS)
    return LAYERS.index(part) if part in LAYERS else None


def test_no_module_imports_a_layer_above_its_own_or_the_facade():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        me = _module(path)
        if me == "glutedata" or _layer(me) is None:
            continue
        for target in _imports(path):
            if target == "glutedata" or (_layer(target) is not None and _layer(target) < _layer(me)):
                wrong.append(f"{me} -> {target}")
    assert not wrong, wrong


def test_no_module_is_over_400_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert not {p: n for p, n in sizes.items() if n > 400}


def test_import_linter_contract_holds():
    lint = shutil.which("lint-imports", path=str(ROOT / ".venv" / "bin")) or shutil.which("lint-imports")
    if not lint:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    r = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:]
    assert "0 broken" in r.stdout


HEAVY = ("plotly", "scipy.stats", "jinja2", "nbclient", "nbconvert", "ipywidgets", "IPython")


@pytest.mark.parametrize("code", [
    "import glutedata; glutedata.load()",
    "import glutedata; glutedata.rank('whole'); glutedata.summarise(glutedata.rank('posterior'))",
    "from glutedata.cli import main; main(['rank', '--segment', 'whole'])",
])
def test_loading_and_ranking_leave_charts_templates_and_scipy_stats_unimported(code):
    probe = f"import sys\n{code}\nprint('imported:', *(m for m in {HEAVY!r} if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "imported:", r.stdout[-500:]


def test_the_readme_python_example_runs_as_written():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    r = subprocess.run([sys.executable, "-c", "\n".join(blocks)], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]


def test_the_public_facade_lists_what_it_gives():
    import glutedata
    for name in glutedata.__all__:
        assert getattr(glutedata, name) is not None, name
    with pytest.raises(AttributeError):
        glutedata.no_such_thing  # noqa: B018
