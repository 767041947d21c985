"""The web surface: the chat, the operators' page, the REST API and the source pages,
over the answering library (`bot`) through its public API."""

import os

from index.settings import configured_model, stay_offline

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a closed network
stay_offline(configured_model())
