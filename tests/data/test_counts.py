"""The counts the READMEs print are the data's own: a new study fails this test until they are updated,
and the failure prints the lines to paste."""

import re

import pytest

import glutedata as gd

from ..conftest import DATA, ROOT


def _join(counts) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts)


def expected_counts() -> dict[str, str]:
    df, screening, studies = gd.load(), gd.screening(), gd.studies()
    muscles = ("gluteus_medius", "gluteus_maximus", "gluteus_minimus", "tensor_fasciae_latae")
    emg = ("surface", "fine-wire", "not-stated")
    status = ("extracted", "no-numbers-reachable", "excluded", "not-found")
    kinds = ("journal-article", "thesis", "grant-report", "conference-abstract")
    m = df["muscle"].astype(str).value_counts()
    e = df["emg"].astype(str).value_counts()
    s = screening["status"].astype(str).value_counts()
    p = studies["publication_type"].astype(str).value_counts()
    k = df["source"].nunique()
    return {
        "values": (f"Values: {len(df)} rows in `emg_activation.csv` from {k} studies "
                   f"({_join((x.replace('_', ' '), m.get(x, 0)) for x in muscles)}; "
                   f"EMG method {_join((x, e.get(x, 0)) for x in emg)})."),
        "screened": f"Studies screened: {len(screening)} ({_join((x, s.get(x, 0)) for x in status)}).",
        "types": f"Extracted studies by publication type (`studies.csv`): {_join((x, p.get(x, 0)) for x in kinds)}.",
        "exercises": f"Exercises in `exercises.csv`: {len(gd.exercises())}.",
        "readme": (f"The dataset holds {len(df)} values from {k} studies; {len(screening)} studies were "
                   "screened"),
    }


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.stamp
def test_data_readme_counts_are_current():
    text = _flat((DATA / "README.md").read_text(encoding="utf-8"))
    version = gd.metadata()["version"]
    assert f"## Counts (release {version})" in text, f"data/README.md: heading should say release {version}"
    missing = [line for key, line in expected_counts().items() if key != "readme" and line not in text]
    assert not missing, ("for the maintainer at merge: data/README.md, section Counts, should read:\n- "
                         + "\n- ".join(missing))


@pytest.mark.stamp
def test_readme_counts_are_current():
    line = expected_counts()["readme"]
    assert line in _flat((ROOT / "README.md").read_text(encoding="utf-8")), \
        f"for the maintainer at merge: README.md should say: {line}"
