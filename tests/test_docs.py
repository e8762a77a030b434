"""The README is a short front door whose set-up commands CI runs, and every relative link of it and of the
docs/ pages leads somewhere: an existing file and, after ``#``, a heading of that file (GitHub's anchors)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_FENCE = re.compile(r"^ *```.*?^ *```", flags=re.S | re.M)
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _prose(text: str) -> str:
    """The text without code blocks and inline code (a bracket there is no link)."""
    return re.sub(r"`[^`\n]*`", "", _FENCE.sub("", text))


def anchors(text: str) -> set:
    """GitHub's anchor of every heading: lower case, punctuation but ``-`` and ``_`` dropped, spaces to ``-``;
    a repeated one gets ``-1``, ``-2``, ..."""
    seen: Dict[str, int] = {}
    out = set()
    for title in re.findall(r"^#{1,6} +(.+?) *$", _FENCE.sub("", text), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        out.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return out


def relative_links(page: Path) -> List[Tuple[str, Path, str]]:
    """(link as written, file it names, anchor or "") for every link of ``page`` that is not a URL."""
    out = []
    for target in _LINK.findall(_prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        out.append((target, (page.parent / path).resolve() if path else page, anchor))
    return out


def test_anchors_follow_github():
    text = "# A: b `--c`, d\n## Same\n## Same\n```\n# not a heading\n```\n"
    assert anchors(text) == {"a-b---c-d", "same", "same-1"}


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(REPO).as_posix() for p in PAGES])
def test_every_relative_link_resolves(page):
    links = relative_links(page)
    assert links, f"{page.name} links nowhere"
    broken = [target for target, path, anchor in links
              if not path.exists() or (anchor and path.suffix == ".md"
                                       and anchor not in anchors(path.read_text(encoding="utf-8")))]
    assert not broken, f"{page.relative_to(REPO)}: links that lead nowhere: {broken}"


def test_a_broken_link_is_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Here\n[ok](#here) [gone](missing.md) [no anchor](#there) `[code](x.md)`\n")
    found = [(t, p.exists(), a in anchors(page.read_text())) for t, p, a in relative_links(page)]
    assert found == [("#here", True, True), ("missing.md", False, False), ("#there", True, False)]


def test_the_readme_is_a_front_door():
    """At most about 250 lines (the rest belongs in docs/), and a link to every docs/ page."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 260
    for page in (REPO / "docs").glob("*.md"):
        assert f"(docs/{page.name}" in text, f"the README does not link docs/{page.name}"


def test_ci_runs_exactly_the_readme_test_command():
    """.ci/run ends with the README's second set-up command, line for line."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", readme, flags=re.S).group(1)
    second = first_block.split("# 2.", 1)[1].splitlines()[1:]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert len(second) == 2 and ci[-2:] == second
