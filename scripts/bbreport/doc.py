"""A tiny document model rendered twice: Markdown (images as files) and one self-contained HTML
file (CSS inline, images as base64 data URIs), so both outputs always carry the same content.
Sections after the overview are collapsible in the HTML (`<details>`) and listed in a table of
contents; in Markdown they are plain `##` headings with the same anchors."""
import base64
import html
import os
import re
from dataclasses import dataclass, field

from .outpath import staged_dir


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
    caption: str = ""  # what to read in the plot; shown under it


def anchor(text):
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "section"


class Document:
    def __init__(self, title):
        self.title = title
        self.blocks = []

    def heading(self, text, level=2):
        self.blocks.append(("h", level, text))

    def para(self, text):
        self.blocks.append(("p", text))

    def alert(self, text):
        """A red line at the top: the run was aborted, measured nothing, is noise-dominated."""
        self.blocks.append(("alert", text))

    def bullets(self, items):
        self.blocks.append(("ul", list(items)))

    def table(self, table):
        self.blocks.append(("table", table))

    def image(self, image):
        if image is not None:
            self.blocks.append(("img", image))

    def pre(self, text):
        self.blocks.append(("pre", text))

    def figures(self, images):
        """Images side by side in the HTML (the overview's first screen), one after another in
        Markdown."""
        images = [i for i in images if i is not None]
        if images:
            self.blocks.append(("row", images))

    def toc(self):
        """Where the table of contents of the sections goes."""
        self.blocks.append(("toc",))

    def section(self, title, open_=False):
        """Starts a collapsible section (closes the previous one)."""
        self.end_section()
        self.blocks.append(("section", title, anchor(title), open_))
        self._open = True

    def end_section(self):
        if getattr(self, "_open", False):
            self.blocks.append(("/section",))
            self._open = False

    def sections(self):
        return [(b[1], b[2]) for b in self.blocks if b[0] == "section"]

    def images(self):
        out = []
        for b in self.blocks:
            out += [b[1]] if b[0] == "img" else b[1] if b[0] == "row" else []
        return out


# ---- Markdown -------------------------------------------------------------------------------

def _md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_image(img, image_dir):
    out = [f"![{img.alt}]({image_dir}/{img.name}.png)", ""]
    return out + ([f"*{img.caption}*", ""] if img.caption else [])


def to_markdown(doc, image_dir="plots"):
    out = [f"# {doc.title}", ""]
    for block in doc.blocks:
        kind = block[0]
        if kind == "section":
            out += [f'<a id="{block[2]}"></a>', "", f"## {block[1]}", ""]
        elif kind == "toc":
            out += ["**Contents:** " + " · ".join(f"[{t}](#{a})" for t, a in doc.sections()), ""]
        elif kind == "row":
            for img in block[1]:
                out += _md_image(img, image_dir)
        elif kind == "h":
            out += ["#" * block[1] + " " + block[2], ""]
        elif kind == "p":
            out += [block[1], ""]
        elif kind == "alert":
            out += [f"> **{block[1]}**", ""]
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
            out += _md_image(block[1], image_dir)
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
.alert { background: #fdecea; border-left: 5px solid #b3261e; color: #b3261e; font-weight: 600;
         font-size: 16px; padding: 6px 10px; }
.warn { background: #fff3e0; border-left: 4px solid #e65100; padding: 6px 10px; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 6px 10px; }
figure { margin: 4px 0 12px; }
figcaption { font-size: 12px; color: #4a5360; max-width: 760px; }
.row { display: flex; gap: 18px; align-items: flex-start; }
.row figure { flex: 1 1 0; min-width: 0; }
.row img { max-height: 340px; max-width: 100%; height: auto; width: auto; }
details { border: 1px solid #d5dbe3; border-radius: 4px; padding: 2px 12px; margin: 8px 0; }
details > summary { cursor: pointer; font-size: 17px; font-weight: 600; padding: 6px 0; }
nav.toc { background: #f4f6f9; padding: 6px 10px; margin: 14px 0; }
nav.toc a { margin-right: 14px; }
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


def _html_figure(img):
    data = base64.b64encode(img.png).decode("ascii")
    cap = f"<figcaption>{_inline(img.caption)}</figcaption>" if img.caption else ""
    return (f'<figure><img id="{html.escape(img.name)}" alt="{html.escape(img.alt)}" '
            f'src="data:image/png;base64,{data}">{cap}</figure>')


def to_html(doc):
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(doc.title)}</title>", f"<style>{CSS}</style>", "</head><body>",
           f"<h1>{html.escape(doc.title)}</h1>"]
    for block in doc.blocks:
        kind = block[0]
        if kind == "section":
            out.append(f'<details id="{block[2]}"{" open" if block[3] else ""}>'
                       f"<summary>{_inline(block[1])}</summary>")
        elif kind == "/section":
            out.append("</details>")
        elif kind == "toc":
            links = "".join(f'<a href="#{a}">{html.escape(t)}</a>' for t, a in doc.sections())
            out.append(f'<nav class="toc"><strong>Contents:</strong> {links}</nav>')
        elif kind == "row":
            out.append('<div class="row">' + "".join(map(_html_figure, block[1])) + "</div>")
        elif kind == "h":
            aid = f' id="{anchor(block[2])}"' if block[1] == 2 else ""
            out.append(f"<h{block[1]}{aid}>{_inline(block[2])}</h{block[1]}>")
        elif kind == "p":
            text = block[1]
            cls = ' class="note"' if text.startswith("Note:") else \
                ' class="warn"' if text.startswith("Noise-dominated") else ""
            out.append(f"<p{cls}>{_inline(text)}</p>")
        elif kind == "alert":
            out.append(f'<p class="alert">{_inline(block[1])}</p>')
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
            out.append(_html_figure(block[1]))
    if getattr(doc, "_open", False):
        out.append("</details>")
    out.append("</body></html>")
    return "\n".join(out)


def write_html(doc, out_dir, name="report.html"):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name)
    with open(path, "w") as f:
        f.write(to_html(doc))
    return path


def publish(doc, out_dir, md_name="report.md", html_name="report.html", image_dir="plots",
            inputs=()):
    """Markdown, HTML and images rendered into a temp folder, then swapped into out_dir
    (outpath.staged_dir): a failed render (a full disk) leaves the earlier report whole.
    Returns the paths of the Markdown and the HTML."""
    with staged_dir(out_dir, (image_dir, md_name, html_name), inputs) as stage:
        write_markdown(doc, stage, md_name, image_dir)
        write_html(doc, stage, html_name)
    return os.path.join(out_dir, md_name), os.path.join(out_dir, html_name)
