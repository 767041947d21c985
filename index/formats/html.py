"""HTML: the text of its elements, without navigation, share buttons and other furniture."""

import re
from collections.abc import Iterator

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from index.documents import Element, ElementKind, ElementText, Extracted, content_hash
from index.formats import Loaded, decode, document

_DROPPED_TAGS = [
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside",
    "form", "iframe", "svg", "button", "select", "input",
]  # fmt: skip
_FURNITURE_CLASS = re.compile(r"share|social|breadcrumb|cookie|newsletter|related|comment", re.I)
_ELEMENT_TAGS = {
    **{f"h{n}": ElementKind.HEADING for n in range(1, 7)},
    "p": ElementKind.PARAGRAPH,
    "li": ElementKind.LIST_ITEM,
    "dt": ElementKind.QUESTION,
    "summary": ElementKind.QUESTION,
    "dd": ElementKind.PARAGRAPH,
    "pre": ElementKind.PARAGRAPH,
    "blockquote": ElementKind.PARAGRAPH,
    "figcaption": ElementKind.PARAGRAPH,
    "tr": ElementKind.PARAGRAPH,
}
_CONTAINER_TAGS = {
    "html", "body", "main", "article", "section", "div", "ul", "ol", "dl", "details",
    "table", "thead", "tbody", "tfoot", "figure", "center",
}  # fmt: skip


def _holding_elements(root: Tag) -> set[int]:
    """The ids of the tags below `root` (and of `root`) that contain an element tag.

    One pass up from every element tag, stopping where an earlier pass went on: linear,
    where asking `find` of every tag takes quadratic time on deeply nested markup.
    """
    holding: set[int] = set()
    for tag in root.find_all(_ELEMENT_TAGS.keys()):
        parent = tag.parent
        while parent is not None and id(parent) not in holding:
            holding.add(id(parent))
            parent = None if parent is root else parent.parent
    return holding


class _HtmlText(ElementText):
    """Collects the visible text of HTML elements into one document text with offsets."""

    def add(self, kind: ElementKind, text: str, level: int = 0) -> None:
        super().add(kind, " ".join(text.split()), level)

    def walk(self, root: Tag) -> None:
        """Element tags as elements; text standing directly in a container, outside any
        element tag, as paragraphs between them.

        Iterative, with an explicit stack: a page of 10,000 nested `<div>`s is indexed
        like any other, where recursion would end in `RecursionError`.
        """
        holding = _holding_elements(root)
        stack: list[tuple[Iterator[object], list[str]]] = [(iter(root.children), [])]
        while stack:
            children, loose = stack[-1]
            child = next(children, None)
            if child is None:
                self.add(ElementKind.PARAGRAPH, "".join(loose))
                stack.pop()
            elif isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):  # comments are not shown
                    loose.append(str(child))
            elif isinstance(child, Tag):
                inner = self._tag(child, loose, id(child) in holding)
                if inner is not None:
                    stack.append((iter(inner.children), []))

    def _tag(self, tag: Tag, loose: list[str], holding: bool) -> Tag | None:
        """Take in one tag of a container; return it if its children are to be walked."""
        name = tag.name
        if name not in _ELEMENT_TAGS and name not in _CONTAINER_TAGS:
            loose.append(tag.get_text())
            return None
        self.add(ElementKind.PARAGRAPH, "".join(loose))
        loose.clear()
        if name in _ELEMENT_TAGS and not holding:
            kind = _ELEMENT_TAGS[name]
            self.add(kind, tag.get_text(), int(name[1]) if kind is ElementKind.HEADING else 0)
            return None
        return tag


def _is_furniture_tag(tag: Tag) -> bool:
    """Scripts, navigation, forms, and any tag whose class or id names page furniture."""
    if tag.name in _DROPPED_TAGS or tag.get("role") == "navigation":
        return True
    names = " ".join([*tag.get("class", []), tag.get("id", "")])
    return bool(names) and _FURNITURE_CLASS.search(names) is not None


def _strip_furniture(soup: BeautifulSoup) -> None:
    """Line breaks as newlines; furniture tags dropped with everything inside them.

    A tag inside one already dropped is recognised by its id: bs4's `decomposed` reads an
    attribute a live tag does not have, which bs4 answers with a search of the whole subtree
    (`tag.x` is `tag.find("x")`), and took minutes for 10,000 nested `<div>`s.
    """
    for line_break in soup.find_all("br"):
        line_break.replace_with("\n")
    dropped: set[int] = set()
    for tag in [tag for tag in soup.find_all(True) if _is_furniture_tag(tag)]:
        if id(tag) not in dropped:
            dropped.update(id(inner) for inner in tag.descendants)
            tag.decompose()


def html_text(markup: str) -> tuple[str, str, list[Element]]:
    """The article's title, visible text and elements; scripts, styles and navigation dropped."""
    soup = BeautifulSoup(markup, "lxml")
    title = " ".join(soup.title.get_text().split()) if soup.title else ""
    _strip_furniture(soup)
    root = soup.find("article") or soup.find("main") or soup.body or soup
    collected = _HtmlText()
    collected.walk(root)
    return title, collected.text, collected.elements


def load_html(raw: bytes, rel: str) -> Loaded:
    markup = decode(raw)
    title, text, elements = html_text(markup)
    return [document(rel, Extracted(text, tuple(elements), title), content_hash(markup))], []
