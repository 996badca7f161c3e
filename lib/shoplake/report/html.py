"""Render report sections as one self-contained HTML page: inline CSS, images as data URIs, no scripts.

Nothing in the page refers to another file or host, so it opens anywhere, offline.
"""
from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from html import escape

from shoplake.report.model import Image, Section, Table

STYLE = """
body { font-family: sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 16px 48px; color: #222; }
header { border-bottom: 2px solid #1f77b4; margin-bottom: 12px; }
nav a { margin-right: 12px; }
section { border-top: 1px solid #ddd; padding-top: 8px; margin-top: 24px; }
.summary { color: #444; }
.unavailable { color: #8a6d00; background: #fff8e0; padding: 8px; border-radius: 4px; }
figure { margin: 8px 0; }
figure img { max-width: 100%; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f6fa; }
td img { width: 56px; height: 56px; image-rendering: pixelated; margin: 2px; border: 1px solid #eee; }
.meta { font-size: 12px; color: #666; }
"""


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _cell(value: object) -> str:
    if isinstance(value, Image):
        return f'<img src="{data_uri(value.png)}" alt="{escape(value.alt)}" title="{escape(value.alt)}">'
    if isinstance(value, list):
        return "".join(_cell(v) if isinstance(v, Image) else f"<div>{escape(str(v))}</div>" for v in value)
    return escape("" if value is None else str(value))


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in table.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(section: Section) -> str:
    parts = [f'<section id="{escape(section.key)}" data-state="{"rendered" if section.content else "unavailable"}">',
             f"<h2>{escape(section.title)}</h2>"]
    if section.content is None:
        parts.append(f'<p class="unavailable">{escape(section.unavailable)}</p>')
    else:
        parts.append(f'<p class="summary">{escape(section.content.summary)}</p>')
        parts += [f'<figure><img class="plot" src="{data_uri(png)}" alt="{escape(section.title)} plot {n + 1}">'
                  "</figure>" for n, png in enumerate(section.content.figures)]
        parts += [_table(t) for t in section.content.tables]
    parts.append("</section>")
    return "\n".join(parts)


def render(title: str, sections: Sequence[Section], facts: Mapping[str, object],
           versions: Mapping[str, int]) -> str:
    """The whole page: a header with ``facts``, one block per section, the table versions read at the end."""
    nav = " ".join(f'<a href="#{escape(s.key)}">{escape(s.title)}</a>' for s in sections)
    meta = " · ".join(f"{escape(k)}: {escape(str(v))}" for k, v in facts.items())
    read = ", ".join(f"{escape(name)} v{version}" for name, version in sorted(versions.items())) or "none"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{escape(title)}</title>",
        '<link rel="icon" href="data:,">', f"<style>{STYLE}</style></head><body>",
        f'<header><h1>{escape(title)}</h1><p class="meta">{meta}</p><nav>{nav}</nav></header>',
        *[_section(s) for s in sections],
        f'<footer class="meta"><p>Table versions read: {read}</p></footer>', "</body></html>",
    ])
