"""The shape of the code, checked: the answering library knows nothing of the web, and a
question flows through it as a pipeline — `Bot.answer` calls each stage, no stage calls back
into another, so a question's path enters each module of the library at most twice."""

import ast
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bot import Bot, BotSettings
from conftest import FAKE_CALIBRATION, REPO
from index import build
from index.calibration import Logistic

WEB_PACKAGES = {"gradio", "fastapi", "fastapi_offline", "starlette", "uvicorn", "web"}
LIBRARY = ("bot", "index")


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, anywhere in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "module",
    sorted(p.relative_to(REPO).as_posix() for d in LIBRARY for p in (REPO / d).rglob("*.py")),
)
def test_the_answering_library_imports_nothing_of_the_web(module):
    assert not imported_packages(REPO / module) & WEB_PACKAGES


ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
SETTINGS_MODULE = "index/settings.py"
PRODUCT = ("bot", "index", "web", "bench", "app.py", "replicas.py")


def environment_reads(path: Path) -> list[int]:
    """The lines on which a module touches the process environment (`os.environ`,
    `os.getenv`, or those names imported from `os`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in ENVIRONMENT_NAMES
        ) or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in ENVIRONMENT_NAMES for alias in node.names)
        ):
            lines.append(node.lineno)
    return lines


def product_modules() -> list[str]:
    found = []
    for part in PRODUCT:
        paths = [REPO / part] if part.endswith(".py") else (REPO / part).rglob("*.py")
        found.extend(p.relative_to(REPO).as_posix() for p in paths)
    return sorted(found)


@pytest.mark.parametrize("module", [m for m in product_modules() if m != SETTINGS_MODULE])
def test_only_the_settings_module_reads_the_environment(module):
    """Entry points read `Settings` once and pass it down; a module that read the
    environment itself would take a value no caller can see or override."""
    assert not environment_reads(REPO / module), f"{module} reads the environment"


def test_the_environment_check_sees_what_it_looks_for():
    assert environment_reads(REPO / SETTINGS_MODULE)


def module_entries(call: Callable[[], object]) -> Counter:
    """How often `call` enters each module of `bot`: a function written in the module's file
    (not code generated for it, like a dataclass's `__init__`) called from another module."""
    files = {Path(m.__file__).resolve(): name for name, m in sys.modules.items()
             if name.startswith("bot") and getattr(m, "__file__", None)}  # fmt: skip
    by_code: dict[object, str | None] = {}

    def module_of(code: object) -> str | None:
        if code not in by_code:
            by_code[code] = files.get(Path(code.co_filename).resolve())
        return by_code[code]

    entries: Counter = Counter()

    def profile(frame, event, _arg):
        if event != "call":
            return
        callee = module_of(frame.f_code)
        if callee is None:
            return
        caller = frame.f_back
        while caller is not None and module_of(caller.f_code) is None:
            caller = caller.f_back  # through the standard library and third-party code
        if caller is not None and module_of(caller.f_code) != callee:
            entries[callee] += 1

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return entries


SURE_SHORT = Logistic(features=(), weights=(), bias=5.0)
"""A short-answer model that offers every candidate, so that its stage runs."""


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    from conftest import SEED, FakeEmbedder

    data = tmp_path_factory.mktemp("data")
    (data / "nato.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    embedder = FakeEmbedder()
    build(data, data.parent / "index", embedder=embedder)
    calibration = replace(FAKE_CALIBRATION, short=SURE_SHORT)
    return Bot.load(data.parent / "index", embedder=embedder,
                    settings=BotSettings(calibration=calibration))  # fmt: skip


@pytest.mark.parametrize(
    ("question", "history", "answered"),
    [
        ("Wie viele Staaten gehören der NATO an?", (), None),
        ("Wann beginnt die Mission Arctic Sentry?", (), None),
        ("Wie ist das Wetter auf dem Mars morgen früh?", (), False),
        ("Wer leitet sie?", ("Was ist Arctic Sentry?",), None),
        ("Wann beginnt sie?", ("Was sagte Mark Rutte?",), True),  # quotes answer the focus
        ("Und warum?", ("Wie viel Geld sagte Großbritannien der Ukraine zu?",), None),
        ("Hallo!", (), True),
        ("", (), False),
    ],
)
def test_a_question_enters_each_module_of_the_library_at_most_twice(
    bot, question, history, answered
):
    bot.answer(question, history)  # warm: caches fill on the first answer
    entries = module_entries(lambda: bot.answer(question, history))
    assert max(entries.values(), default=0) <= 2, entries
    if answered is not None:
        assert bot.answer(question, history).answered is answered


def test_the_path_is_traced_through_every_stage(bot):
    """The tracer sees the stages: a question that is answered passes each of them."""
    question = "Wer leitet die Mission Arctic Sentry?"
    assert bot.answer(question).answered
    entries = module_entries(lambda: bot.answer(question))
    stages = {"bot.inputs", "bot.retrieval", "bot.extraction", "bot.confidence", "bot.wording"}
    assert stages <= set(entries), entries
