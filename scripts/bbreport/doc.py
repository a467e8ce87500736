"""A tiny document model rendered twice: Markdown (images as files) and one self-contained HTML
file (CSS inline, images as base64 data URIs), so both outputs always carry the same content."""
import base64
import html
import os
import re
from dataclasses import dataclass, field


@dataclass
class Table:
    headers: list
    rows: list = field(default_factory=list)
    numeric: set = field(default_factory=set)   # column indexes to right-align


@dataclass
class Image:
    name: str          # file stem, also the anchor
    png: bytes
    alt: str


class Document:
    def __init__(self, title):
        self.title = title
        self.blocks = []

    def heading(self, text, level=2):
        self.blocks.append(("h", level, text))

    def para(self, text):
        self.blocks.append(("p", text))

    def bullets(self, items):
        self.blocks.append(("ul", list(items)))

    def table(self, table):
        self.blocks.append(("table", table))

    def image(self, image):
        if image is not None:
            self.blocks.append(("img", image))

    def pre(self, text):
        self.blocks.append(("pre", text))

    def images(self):
        return [b[1] for b in self.blocks if b[0] == "img"]


# ---- Markdown -------------------------------------------------------------------------------

def _md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(doc, image_dir="plots"):
    out = [f"# {doc.title}", ""]
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            out += ["#" * block[1] + " " + block[2], ""]
        elif kind == "p":
            out += [block[1], ""]
        elif kind == "ul":
            out += [f"- {item}" for item in block[1]] + [""]
        elif kind == "pre":
            out += ["```", block[1].rstrip("\n"), "```", ""]
        elif kind == "table":
            t = block[1]
            out.append("| " + " | ".join(_md_cell(h) for h in t.headers) + " |")
            out.append("|" + "|".join("---:" if i in t.numeric else "---"
                                      for i in range(len(t.headers))) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]
            out.append("")
        elif kind == "img":
            img = block[1]
            out += [f"![{img.alt}]({image_dir}/{img.name}.png)", ""]
    return "\n".join(out)


def write_markdown(doc, out_dir, name="report.md", image_dir="plots"):
    os.makedirs(os.path.join(out_dir, image_dir), exist_ok=True)
    for img in doc.images():
        with open(os.path.join(out_dir, image_dir, img.name + ".png"), "wb") as f:
            f.write(img.png)
    path = os.path.join(out_dir, name)
    with open(path, "w") as f:
        f.write(to_markdown(doc, image_dir))
    return path


# ---- HTML -----------------------------------------------------------------------------------

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b;
       max-width: 1400px; margin: 24px auto; padding: 0 20px; }
h1 { font-size: 24px; border-bottom: 2px solid #3b6ea5; padding-bottom: 6px; }
h2 { font-size: 19px; margin-top: 34px; border-bottom: 1px solid #d5dbe3; padding-bottom: 4px; }
h3 { font-size: 15px; margin-top: 22px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 12.5px; }
th, td { border: 1px solid #d5dbe3; padding: 3px 8px; vertical-align: top; }
th { background: #eef2f7; text-align: left; }
td { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
tr:nth-child(even) td { background: #f8fafc; }
td.bad { color: #b3261e; font-weight: 600; }
code, pre { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: #f4f6f9; padding: 8px; overflow-x: auto; }
code { background: #f1f3f6; padding: 0 3px; }
img { max-width: 100%; border: 1px solid #e3e7ed; margin: 6px 0 14px; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 6px 10px; }
"""

_BAD = {"NO", "regressed", "misrouted"}


def _inline(text):
    """Escape, then turn `code` and **bold** spans into tags: the only inline markup used."""
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(str(text)))
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)


def _cell(i, text, t):
    cls = []
    if i in t.numeric:
        cls.append("num")
    if str(text) in _BAD or str(text).startswith(("rank ", "NO ")):
        cls.append("bad")
    attr = f' class="{" ".join(cls)}"' if cls else ""
    return f"<td{attr}>{_inline(text)}</td>"


def to_html(doc):
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(doc.title)}</title>", f"<style>{CSS}</style>", "</head><body>",
           f"<h1>{html.escape(doc.title)}</h1>"]
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"<h{block[1]}>{_inline(block[2])}</h{block[1]}>")
        elif kind == "p":
            text = block[1]
            cls = ' class="note"' if text.startswith("Note:") else ""
            out.append(f"<p{cls}>{_inline(text)}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "pre":
            out.append(f"<pre>{html.escape(block[1])}</pre>")
        elif kind == "table":
            t = block[1]
            heads = "".join(f"<th>{html.escape(h)}</th>" for h in t.headers)
            out.append(f'<div class="scroll"><table><thead><tr>{heads}</tr></thead><tbody>')
            for row in t.rows:
                out.append("<tr>" + "".join(_cell(i, c, t) for i, c in enumerate(row)) + "</tr>")
            out.append("</tbody></table></div>")
        elif kind == "img":
            img = block[1]
            data = base64.b64encode(img.png).decode("ascii")
            out.append(f'<img id="{html.escape(img.name)}" alt="{html.escape(img.alt)}" '
                       f'src="data:image/png;base64,{data}">')
    out.append("</body></html>")
    return "\n".join(out)


def write_html(doc, out_dir, name="report.html"):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name)
    with open(path, "w") as f:
        f.write(to_html(doc))
    return path
