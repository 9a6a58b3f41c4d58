"""The printable home-exercise handout: its steps, its words, its checks and its escaping."""

import re

import pytest

import glutedata as gd
from glutedata import markup
from glutedata.cli import main
from glutedata.publish.handout import IF_IT_HURTS, LAST_STEP, MOVE_ON, NoEvidence, spread

from ..conftest import edit_cell

XSS = "<img src=x onerror=alert(1)>"


def _steps(html: str) -> list[str]:
    return re.findall(r'<p class="step-title"><span class="no">\d+</span>(.*?)</p>', html)


def test_spread_picks_rungs_from_lowest_to_highest():
    assert spread(9, 4) == [0, 3, 5, 8]
    assert spread(3, 4) == [0, 1, 2]
    assert spread(5, 1) == [0]
    assert spread(10, 2) == [0, 9]


def test_default_handout_follows_the_progression(df):
    ladder = gd.progression("whole", equipment="none", df=df)
    html = gd.handout("whole", equipment="none")
    names = _steps(html)
    assert len(names) == min(4, len(ladder))
    expected = [ladder["name"].iloc[i] for i in spread(len(ladder), 4)]
    assert names == [markup.html(n) for n in expected]
    vocab = gd.exercises().set_index("id")
    first = ladder["exercise"].iloc[0]
    assert markup.html(vocab.at[first, "dosing"]) in html
    assert markup.html(vocab.at[first, "description"]) in html
    assert html.count(markup.html(MOVE_ON)) == len(names) - 1 and markup.html(LAST_STEP) in html
    assert markup.html(IF_IT_HURTS) in html and "ask your clinician" in html
    assert "@page { size: A4" in html and "It measures activation" in html and "not a prescription" in html
    ranked = gd.rank("whole", equipment="none", df=df)
    top = ranked.set_index("exercise").loc[ladder["exercise"].iloc[-1]]
    assert f"n = {top['n']}" in html and all(k in html for k in top["sources"])
    if "certainty" in ranked.columns:
        assert "certainty:" in html
    assert f"data version {gd.metadata()['version']}" in html


def test_clinician_can_choose_the_steps_in_order():
    html = gd.handout("whole", exercises=["clamshell", "side-plank"], title="For Ms Smith")
    assert _steps(html) == ["Clamshell", "Side plank"]
    assert "<h1>For Ms Smith</h1>" in html
    with pytest.raises(ValueError, match="did you mean 'clamshell'"):
        gd.handout("whole", exercises=["clamshel"])
    with pytest.raises(ValueError, match="names no exercise"):
        gd.handout("whole", exercises=[])


@pytest.mark.parametrize("kwargs, message", [
    ({"segment": "posterio"}, "did you mean 'posterior'"),
    ({"segment": "whole", "equipment": "elastic"}, "equipment="),
    ({"segment": "whole", "weight_bearing": "yes"}, "weight_bearing must be True or False"),
    ({"segment": "whole", "steps": 0}, "steps must be"),
    ({"segment": "whole", "steps": True}, "steps must be"),
    ({"segment": "whole", "muscle": "gluteus_maximus", "population": "nobody"}, "population="),
    ({"segment": ["whole"]}, "one segment name"),
])
def test_arguments_are_checked(kwargs, message):
    segment = kwargs.pop("segment")
    with pytest.raises(ValueError, match=re.escape(message)):
        gd.handout(segment, **kwargs)


def test_nothing_measured_is_a_clear_error(df):
    from glutedata.data.arguments import segments_of, vocabulary
    empty = next(((s, e) for s in segments_of("gluteus_medius") for e in vocabulary("equipment")
                  if gd.rank(s, equipment=e, df=df).empty), None)
    if empty is None:
        pytest.skip("every segment and equipment has been measured")
    with pytest.raises(NoEvidence, match="no study in the dataset has measured"):
        gd.handout(empty[0], equipment=empty[1])


def test_markup_in_the_data_is_printed_as_text(data_copy, monkeypatch):
    monkeypatch.setenv("GLUTEDATA_VALIDATE", "0")  # validation would reject the markup before the handout sees it
    line = 1 + next(i for i, row in enumerate(gd.exercises(data_copy)["id"], start=1) if row == "clamshell")
    for field in ("name", "description", "dosing"):
        edit_cell(data_copy / "exercises.csv", line, field, XSS)
    html = gd.handout("whole", exercises=["clamshell"], title=XSS, path=data_copy)
    assert "<img" not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 4  # title twice, name, description, dosing


def test_cli_writes_the_handout(tmp_path, capsys):
    out = tmp_path / "h.html"
    assert main(["handout", "--segment", "whole", "--equipment", "none", "--steps", "3", "--out", str(out)]) == 0
    assert len(_steps(out.read_text(encoding="utf-8"))) == 3
    assert main(["handout", "--segment", "whole", "--exercise", "clamshel", "--out", str(out)]) == 2
    assert "did you mean 'clamshell'" in capsys.readouterr().err


def test_cli_pdf_without_chromium_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GLUTEDATA_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium on it
    out = tmp_path / "h.html"
    code = main(["handout", "--segment", "whole", "--equipment", "none", "--out", str(out),
                 "--pdf", str(tmp_path / "h.pdf")])
    assert code == 1 and out.is_file() and not (tmp_path / "h.pdf").exists()
    assert "Chromium is needed" in capsys.readouterr().err
    monkeypatch.setenv("GLUTEDATA_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert main(["handout", "--segment", "whole", "--out", str(out), "--pdf", str(tmp_path / "h.pdf")]) == 1
    assert "cannot run Chromium" in capsys.readouterr().err


def test_written_handout_is_marked_and_recognised(tmp_path):
    from glutedata.publish.handout import is_handout, write_handout
    html = gd.handout("whole", exercises=["clamshell"])
    out = write_handout(html, tmp_path / "h.html")
    text = out.read_text(encoding="utf-8")
    assert text.count('<meta name="generator" content="glutedata ') == 1 and is_handout(out)
    assert re.sub(r'\n<meta name="generator" content="glutedata [^"]*">', "", text, count=1) == html  # only change
    (tmp_path / "other.html").write_text(html.replace("glutedata", "something"), encoding="utf-8")
    assert not is_handout(tmp_path / "other.html")


def _fake_chromium(tmp_path, body: str):
    """An executable that stands in for Chromium: it runs ``body`` (sh) with $out set to the --print-to-pdf path."""
    exe = tmp_path / "fake-chromium"
    exe.write_text('#!/bin/sh\nfor a in "$@"; do case "$a" in --print-to-pdf=*) out="${a#--print-to-pdf=}";; '
                   f'esac; done\n{body}\n', encoding="utf-8")
    exe.chmod(0o755)
    return str(exe)


def test_a_failed_print_leaves_the_old_pdf(tmp_path):
    from glutedata.publish.handout import print_pdf
    html, pdf = tmp_path / "h.html", tmp_path / "h.pdf"
    html.write_text("<p>x</p>", encoding="utf-8")
    pdf.write_bytes(b"%PDF-1.4 earlier\n")
    half = _fake_chromium(tmp_path, 'printf "%%PDF-1.4 half" > "$out"; echo "crashed" >&2; exit 3')
    with pytest.raises(RuntimeError, match="exit 3"):
        print_pdf(html, pdf, chromium=half)
    assert pdf.read_bytes() == b"%PDF-1.4 earlier\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake-chromium", "h.html", "h.pdf"]
    good = _fake_chromium(tmp_path, 'printf "%%PDF-1.4 new" > "$out"')
    assert print_pdf(html, pdf, chromium=good) == pdf.resolve() and pdf.read_bytes() == b"%PDF-1.4 new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake-chromium", "h.html", "h.pdf"]
