"""Reading README.md's fenced blocks and sections, for tests that keep it honest."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"


def section(title: str, text: str | None = None) -> str:
    """The text of the ``## title`` section, up to the next ``## `` heading."""
    text = README.read_text() if text is None else text
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def fenced(text: str, language: str) -> list[str]:
    """The bodies of the ``` blocks of ``language`` in ``text``, in order."""
    blocks = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() == f"```{language}":
            end = index + 1
            while lines[end].strip() != "```":
                end += 1
            blocks.append("\n".join(lines[index + 1 : end]) + "\n")
            index = end
        index += 1
    return blocks
