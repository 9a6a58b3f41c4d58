"""An installed wheel ships the data and load() finds it through importlib.resources."""

import subprocess
import sys
import zipfile

from ..conftest import ROOT


def test_wheel_ships_data_and_loads_it(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True)
    wheel = next((tmp_path / "dist").glob("glutedata-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for f in ("emg_activation.csv", "exercises.csv", "screening.csv", "sources.bib", "datapackage.json"):
        assert f"glutedata/data/bundled/{f}" in names
    assert "glutedata/publish/templates/glutedata_site/index.html.j2" in names
    target = tmp_path / "site-packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True)
    code = ("import glutedata, pathlib; d = glutedata.data_dir(); "
            "assert pathlib.Path(glutedata.__file__).parent / 'data' / 'bundled' == d, d; "
            "print(len(glutedata.load()), len(glutedata.validate()))")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                       env={"PYTHONPATH": str(target), "PATH": ""})
    assert r.returncode == 0, r.stderr
    rows, problems = map(int, r.stdout.split())
    assert rows == len((ROOT / "data" / "emg_activation.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert problems == 0
