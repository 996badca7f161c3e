"""The report page: self-contained (every image inline, no scripts, no other file or host), text escaped."""
import re

from matplotlib.figure import Figure

from shoplake.report.figures import png
from shoplake.report.html import render
from shoplake.report.model import Content, Image, Section, Table


def tiny_png() -> bytes:
    figure = Figure(figsize=(1, 1))
    figure.subplots().plot([0, 1], [1, 0])
    return png(figure)


def page() -> str:
    picture = tiny_png()
    sections = [
        Section("funnel", "Funnel <1>", Content("9 sessions & <b>", [picture], [Table(["a"], [["<script>x</script>"]])])),
        Section("recs", "Recs", Content("", tables=[Table(["shown"], [[[Image(picture, 'p1 "Coat"'), "p2"]]])])),
        Section("cohorts", "Cohorts", unavailable="not built yet: run `shoplake run analytics --only cohorts`"),
    ]
    return render("report", sections, {"lake": "/x"}, {"gold.funnel_daily": 3})


def test_the_page_needs_nothing_but_itself():
    html = page()
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sources and all(s.startswith(("data:", "#")) for s in sources)
    assert "<script" not in html.replace("&lt;script&gt;", "") and "http" not in html and "url(" not in html


def test_sections_carry_their_state_content_and_escaped_text():
    html = page()
    assert re.findall(r'<section id="(\w+)" data-state="(\w+)"', html) == [
        ("funnel", "rendered"), ("recs", "rendered"), ("cohorts", "unavailable")]
    assert "Funnel &lt;1&gt;" in html and "9 sessions &amp; &lt;b&gt;" in html
    assert 'alt="p1 &quot;Coat&quot;"' in html and "<div>p2</div>" in html
    assert "run `shoplake run analytics --only cohorts`" in html and "gold.funnel_daily v3" in html
    assert len(re.findall(r'<img class="plot" src="data:image/png;base64,iVBORw0KGgo', html)) == 1
