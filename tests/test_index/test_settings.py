"""One settings module reads the environment (`Settings`, and the server's `ServerSettings`
beside it): every variable's default, an override, a refused value that names the variable;
a library caller never refused for a server's variable; no other module reads it."""

import ast
from pathlib import Path

import pytest

from conftest import REPO
from index.settings import DEFAULT_MODEL, USE_MODEL, ServerSettings, Settings, SettingsError

VARIABLES = {
    # variable: (field, default, a valid value, what it gives)
    "FAQBOT_DATA_DIR": ("data_dir", Path("data"), "/srv/daten", Path("/srv/daten")),
    "FAQBOT_INDEX_DIR": ("index_dir", Path(".faqbot/index"), "/srv/index", Path("/srv/index")),
    "FAQBOT_MODEL": ("model", DEFAULT_MODEL, USE_MODEL, USE_MODEL),
    "FAQBOT_BUILD_MEMORY_MB": ("build_memory_mb", 4096, "512", 512),
    "FAQBOT_READ_MEMORY_MB": ("read_memory_mb", 2048, "1500", 1500),
    "FAQBOT_READ_SECONDS": ("read_seconds", 600, "60", 60),
    "FAQBOT_READ_OUTPUT_MB": ("read_output_mb", 100, "20", 20),
    "FAQBOT_LOG_DIR": ("log_dir", Path(".faqbot/logs"), "/var/log/faqbot", Path("/var/log/faqbot")),
    "FAQBOT_LOG_MAX_BYTES": ("log_max_bytes", 10 * 2**20, "1048576", 2**20),
    "FAQBOT_ADMIN_PASSWORD": ("admin_password", None, "x" * 16, "x" * 16),
    "FAQBOT_TRUSTED_PROXIES": (
        "trusted_proxies",
        (),
        " 10.0.0.1, 10.0.0.2 ,",
        ("10.0.0.1", "10.0.0.2"),
    ),
    "FAQBOT_FOLLOW_SECONDS": ("follow_seconds", 2.0, "0.5", 0.5),
    "FAQBOT_TITLE": ("display_title", "", " Reisen\n und NATO ", "Reisen und NATO"),
    "FAQBOT_HANDOVER": (
        "handover",
        "",
        "Fragen Sie  das\nServicebüro.",
        "Fragen Sie das Servicebüro.",  # one line, as it follows every decline
    ),
    "FAQBOT_UPLOAD_MAX_MB": ("upload_max_mb", 20, "5", 5),
    "FAQBOT_UPLOAD_MAX_FILES": ("upload_max_files", 10, "3", 3),
    "FAQBOT_CONNECTIONS_PER_CLIENT": ("connections_per_client", 32, "64", 64),
    "FAQBOT_REQUEST_TIMEOUT_SECONDS": ("request_timeout_seconds", 10.0, "30", 30.0),
    "FAQBOT_RESERVED_FILES": ("reserved_files", 128, "256", 256),
    "GRADIO_SERVER_NAME": ("server_name", "127.0.0.1", "0.0.0.0", "0.0.0.0"),
    "GRADIO_SERVER_PORT": ("server_port", 7860, "8080", 8080),
}

REFUSED = [
    ("FAQBOT_BUILD_MEMORY_MB", "255", "must be at least 256 MiB"),
    ("FAQBOT_BUILD_MEMORY_MB", "4 GB", "must be a number of MiB"),
    ("FAQBOT_READ_MEMORY_MB", "512", "must be at least 1024 MiB"),
    ("FAQBOT_READ_SECONDS", "0", "must be at least 1 seconds"),
    ("FAQBOT_READ_SECONDS", "10 min", "must be a number of seconds"),
    ("FAQBOT_READ_OUTPUT_MB", "0", "must be at least 1 MB"),
    ("FAQBOT_LOG_MAX_BYTES", "10", "must be at least 65536 bytes"),
    ("FAQBOT_LOG_MAX_BYTES", "10MB", "must be a number of bytes"),
    ("FAQBOT_ADMIN_PASSWORD", "kurz", "must have at least 16 characters"),
    ("FAQBOT_FOLLOW_SECONDS", "0", "must be a positive number of seconds"),
    ("FAQBOT_FOLLOW_SECONDS", "-1", "must be a positive number of seconds"),
    ("FAQBOT_FOLLOW_SECONDS", "nan", "must be a positive number of seconds"),
    ("FAQBOT_FOLLOW_SECONDS", "bald", "must be a positive number of seconds"),
    ("FAQBOT_HANDOVER", "x" * 301, "must be one line of at most 300 characters"),
    ("FAQBOT_TITLE", "x" * 61, "must be one line of at most 60 characters"),
    ("FAQBOT_UPLOAD_MAX_MB", "21", "must be at most 20 MB"),
    ("FAQBOT_UPLOAD_MAX_MB", "0", "must be at least 1 MB"),
    ("FAQBOT_UPLOAD_MAX_FILES", "101", "must be at most 100 files"),
    ("FAQBOT_UPLOAD_MAX_FILES", "viele", "must be a number of files"),
    ("FAQBOT_CONNECTIONS_PER_CLIENT", "0", "must be at least 1 connections"),
    ("FAQBOT_REQUEST_TIMEOUT_SECONDS", "0", "must be a positive number of seconds"),
    ("FAQBOT_RESERVED_FILES", "20", "must be at least 64 files"),
    ("GRADIO_SERVER_PORT", "70000", "must be a port number"),
    ("GRADIO_SERVER_PORT", "http", "must be a port number"),
]


@pytest.fixture
def clean_environment(monkeypatch):
    """None of the variables set (conftest points the paths into the test's directory)."""
    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize("variable", VARIABLES)
def test_each_variable_has_its_default(variable):
    field, default, _, _ = VARIABLES[variable]
    assert getattr(ServerSettings(), field) == default


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize("variable", VARIABLES)
def test_each_variable_is_read(monkeypatch, variable):
    field, _, raw, value = VARIABLES[variable]
    monkeypatch.setenv(variable, raw)
    assert getattr(ServerSettings(), field) == value


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize("variable", VARIABLES)
def test_an_empty_variable_counts_as_unset(monkeypatch, variable):
    field, default, _, _ = VARIABLES[variable]
    monkeypatch.setenv(variable, "")
    assert getattr(ServerSettings(), field) == default


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize(("variable", "raw", "message"), REFUSED)
def test_an_unusable_value_is_refused_naming_the_variable(monkeypatch, variable, raw, message):
    monkeypatch.setenv(variable, raw)
    with pytest.raises(SettingsError, match=message) as refused:
        ServerSettings()
    assert str(refused.value).startswith(f"${variable} ")
    assert isinstance(refused.value, ValueError)  # callers that catch ValueError still do


def test_every_unusable_value_is_named_at_once(monkeypatch):
    monkeypatch.setenv("FAQBOT_BUILD_MEMORY_MB", "1")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "0")
    with pytest.raises(SettingsError) as refused:
        ServerSettings()
    assert "$FAQBOT_BUILD_MEMORY_MB" in str(refused.value)
    assert "$GRADIO_SERVER_PORT" in str(refused.value)


def test_settings_are_frozen_derive_bytes_and_keep_the_password_out_of_their_repr(monkeypatch):
    monkeypatch.setenv("FAQBOT_ADMIN_PASSWORD", "geheim-geheim-geheim")
    monkeypatch.setenv("FAQBOT_BUILD_MEMORY_MB", "300")
    settings = ServerSettings()
    assert settings.build_memory_bytes == 300 * 2**20
    assert "geheim" not in repr(settings)
    with pytest.raises(ValueError, match="frozen"):
        settings.model = USE_MODEL  # type: ignore[misc]


INDEX_VARIABLES = {
    "FAQBOT_BUILD_MEMORY_MB",
    "FAQBOT_READ_MEMORY_MB",
    "FAQBOT_READ_SECONDS",
    "FAQBOT_READ_OUTPUT_MB",
}
"""What a build reads: refused for a library caller too."""


@pytest.mark.parametrize(
    ("variable", "raw"), [(v, raw) for v, raw, _ in REFUSED if v not in INDEX_VARIABLES]
)
def test_a_library_caller_is_not_refused_for_a_server_variable(monkeypatch, variable, raw):
    """`python -m index`, `bot.answer` read `Settings`: a bad port stops only the server."""
    monkeypatch.setenv(variable, raw)
    monkeypatch.setenv("FAQBOT_INDEX_DIR", "/srv/index")
    assert Settings().index_dir == Path("/srv/index")


def test_fields_can_be_given_by_name_over_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FAQBOT_INDEX_DIR", "/anderswo")
    assert Settings(index_dir=tmp_path).index_dir == tmp_path


# ------------------------------------------------ nobody else reads the environment

SOURCES = [
    *(REPO / "bot").rglob("*.py"),
    *(REPO / "index").rglob("*.py"),
    *(REPO / "web").rglob("*.py"),
    REPO / "app.py",
    REPO / "replicas.py",
]
ALLOWED = {
    ("web/__init__.py", 'os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", ...)'):
        "a default written for Gradio, which reads it: no calls home from a closed network",
    ("replicas.py", "{**os.environ, ...}"):
        "the replicas' environment is this one's with their ports added: a child process "
        "needs all of it (PATH, HOME, the FAQBOT_ variables), which only the environment has",
}  # fmt: skip
READERS = {"environ", "environb", "getenv", "getenvb"}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _use(node: ast.Attribute, parents: dict[ast.AST, ast.AST]) -> str:
    """How `os.environ…` is used: a write of a fixed value (named), the whole environment
    handed on, or a read."""
    parent = parents[node]
    if node.attr != "environ":
        return f"os.{node.attr}"
    if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store):
        statement = parents[parent]
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
            return f"os.environ[{ast.unparse(parent.slice)}] = ..."
    if isinstance(parent, ast.Attribute) and parent.attr == "setdefault":
        call = parents[parent]
        if isinstance(call, ast.Call) and all(isinstance(a, ast.Constant) for a in call.args):
            return f"os.environ.setdefault({ast.unparse(call.args[0])}, ...)"
    if isinstance(parent, ast.Dict) and None in parent.keys:
        return "{**os.environ, ...}"
    return f"os.environ read: {ast.unparse(parent)}"


def environment_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = _parents(tree)
    os_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name == "os"
    }
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            uses += [f"from os import {a.name}" for a in node.names if a.name in READERS]
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in READERS
            and isinstance(node.value, ast.Name)
            and node.value.id in os_names
        ):
            uses.append(_use(node, parents))
    return uses


def test_the_walk_finds_reads_and_tells_writes_apart(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "import os as system\nfrom os import getenv\n"
        "a = system.environ.get('X')\nb = system.environ['Y']\nc = system.getenv('Z')\n"
        "system.environ['W'] = '1'\nsystem.environ.setdefault('V', '1')\n"
        "d = {**system.environ, 'U': '1'}\n"
    )
    assert sorted(environment_uses(module)) == sorted(
        [
            "from os import getenv",
            "os.environ read: system.environ.get",
            "os.environ read: system.environ['Y']",
            "os.getenv",
            "os.environ['W'] = ...",
            "os.environ.setdefault('V', ...)",
            "{**os.environ, ...}",
        ]
    )


def test_no_module_but_the_settings_reads_the_environment():
    found = {
        (path.relative_to(REPO).as_posix(), use.replace("'", '"'))
        for path in SOURCES
        if path != REPO / "index" / "settings.py"
        for use in environment_uses(path)
    }
    assert found - ALLOWED.keys() == set()
