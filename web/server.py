"""faqbot's web server: the public chat at `/`, the documents it cites at `/quelle/…`
(`web.sources`), the operators' page at `/admin`.

`python app.py` (or `make run`) serves http://127.0.0.1:7860; GRADIO_SERVER_NAME and
GRADIO_SERVER_PORT change host and port (every setting: `index.settings`). The chat's
answer function is also an API endpoint:
`gradio_client.Client(url).predict("Frage", api_name="/answer")`; beside the chat, a
plain REST API (`web.api`: `/api/answer`, `/api/search`, health, readiness, status, docs
at `/api/docs`) and Prometheus metrics at `/metrics`.

The chat page has no administration at all: documents, their state and rebuilds live on
a second Gradio app that exists only when `$FAQBOT_ADMIN_PASSWORD` is set, behind Gradio's
login, which the server checks on every one of its routes. Every request first passes the
edge (`web.proxies`: forwarding headers from trusted proxies only; `web.security`: no
uploads but the operators', bounded bodies, rate-limited logins; `web.gradio_guard`: no
unknown queue names);
Gradio's pages are served German whatever the browser's language (`web.german_locale`).
"""

import logging
import threading
import time
from collections.abc import Sequence

import gradio as gr
import uvicorn
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi_offline import FastAPIOffline

from bot import BotSettings
from index.settings import ServerSettings, SettingsError
from web.admin_page import ADMIN_CSS, ADMIN_HEAD, AdminHandlers, admin_app, operator_check
from web.api import API_DOCUMENTATION, API_PREFIX, install_api
from web.chat_page import CSS, ChatHandlers, chat_app
from web.chat_script import CHAT_SCRIPT
from web.connections import BACKLOG, ConnectionLimits, bounded_protocol, open_file_limit
from web.feedback import FeedbackLog
from web.german_locale import TRANSLATIONS, GermanPage
from web.gradio_guard import QueueGuard
from web.proxies import TrustedProxies
from web.security import EdgeGuard, EdgeLimits, NoFraming
from web.service import BotService
from web.sources import source_routes
from web.uploads import UploadLimits

log = logging.getLogger("faqbot.app")

ADMIN_PATH = "/admin"
FULL_BOLD = """
@font-face { font-family: "Source Sans Pro"; font-style: normal; font-weight: 600 700;
  src: url("static/fonts/SourceSansPro/SourceSansPro-Bold.woff2") format("woff2"); }
"""
"""Gradio's theme draws bold (600) from a 5 KB subset of its font that lacks letters such
as "A" and "B", so bold words mixed two fonts; its package brings the whole bold face."""


def make_server(
    service: BotService,
    feedback: FeedbackLog,
    password: str | None = None,
    uploads: UploadLimits | None = None,
    title: str = "",
    trusted_proxies: Sequence[str] = (),
) -> FastAPI:
    """One server: the edge in front, the REST API, the operators' page (if a password is
    set) with its uploads within `uploads` (default: `UploadLimits()`), the chat (`title`:
    the corpus's short name on it, `$FAQBOT_TITLE`). Forwarding headers are believed from
    `trusted_proxies` only (`$FAQBOT_TRUSTED_PROXIES`)."""
    # The API's docs page with its scripts served from here: the intranet may have no CDN.
    server = FastAPIOffline(**API_DOCUMENTATION, static_url=f"{API_PREFIX}/docs-assets")
    install_api(server, service)  # before the chat's mount at "/", which takes every path
    shared = {"show_error": False, "footer_links": []}
    uploads = uploads or UploadLimits()
    edge = EdgeLimits()
    mounted = []
    if password is not None:
        # Gradio answers only "/admin/"; "/admin", as people type it, would reach the chat's
        # mount and its English 404.
        server.add_api_route(
            ADMIN_PATH, lambda: RedirectResponse(f"{ADMIN_PATH}/", status_code=308),
            include_in_schema=False,
        )  # fmt: skip
        admin = admin_app(AdminHandlers(service, feedback, uploads))
        gr.mount_gradio_app(
            server, admin, path=ADMIN_PATH, auth=operator_check(password),
            auth_message="Anmeldung für den Betrieb", css=FULL_BOLD + ADMIN_CSS,
            max_file_size=uploads.max_bytes, **shared,
        )  # fmt: skip
        mounted.append(admin)
        # The one route that takes files: the operators' upload, for operators only (Gradio
        # checks the login before it reads the body).
        edge = EdgeLimits(
            upload_path=f"{ADMIN_PATH}/gradio_api/upload",
            max_upload_bytes=uploads.max_request_bytes,
        )
    chat = chat_app(ChatHandlers(service, feedback, display_title=title))
    server.include_router(
        source_routes(lambda: (bot := service.bot) and bot.content), include_in_schema=False
    )
    german = gr.I18n(**dict.fromkeys(("de", "en"), TRANSLATIONS))
    gr.mount_gradio_app(
        server,
        chat,
        "/",
        i18n=german,
        run_history=False,
        css=FULL_BOLD + CSS,
        js=CHAT_SCRIPT,
        **shared,
    )
    for blocks in (*mounted, chat):
        # Gradio checks file paths in inputs only once an app counts as launched, which
        # `launch()` sets and mounting does not: without it, a forged input could name any
        # file of the server to be copied into Gradio's cache and served.
        blocks.has_launched = True
    server.add_middleware(QueueGuard, blocks=chat)
    server.add_middleware(GermanPage, heads={f"{ADMIN_PATH}/": ADMIN_HEAD})
    server.add_middleware(NoFraming, prefix=ADMIN_PATH)
    server.add_middleware(EdgeGuard, limits=edge)
    server.add_middleware(TrustedProxies, trusted=trusted_proxies)
    return server


def main(settings: ServerSettings | None = None) -> None:
    """Serve until stopped; `settings`: the environment's (`ServerSettings()`, refused at start
    with the variable named if a value is unusable) unless given."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        settings = settings or ServerSettings()
        limits = ConnectionLimits.of(settings, open_file_limit())
    except SettingsError as error:
        raise SystemExit(f"error: {error}") from None
    service = BotService(settings=BotSettings(handover=settings.handover), config=settings)
    uploads = UploadLimits.of(settings)
    server = make_server(
        service, FeedbackLog.of(settings), settings.admin_password, uploads,
        settings.display_title, settings.trusted_proxies,
    )  # fmt: skip
    # Ready (`/api/ready`) once a whole answer has run on the loaded bot; it serves meanwhile.
    threading.Thread(target=service.warm_up, name="warm-up", daemon=True).start()
    follow = (settings.follow_seconds, threading.Event())
    threading.Thread(target=service.follow, args=follow, name="follow", daemon=True).start()
    host, port = settings.server_name, settings.server_port
    log.info("serving http://%s:%d/", host, port)
    started = time.perf_counter()
    # Forwarding headers are the server's own business (`web.proxies`): uvicorn's reading
    # of them would run first and hide which peer sent them. Connections are bounded and
    # unfinished requests timed out (`web.connections`); no route is a WebSocket, so none is
    # upgraded to one (an upgraded connection would leave the bounded protocol's count).
    uvicorn.run(
        server, host=host, port=port, log_level="warning", proxy_headers=False,
        http=bounded_protocol(limits), ws="none", backlog=BACKLOG,
        timeout_graceful_shutdown=5,  # open event streams must not keep a stopping app alive
    )  # fmt: skip
    log.info("stopped after %.0f s", time.perf_counter() - started)


if __name__ == "__main__":
    main()
