"""The web surface: the chat, the operators' page, the REST API and the source pages,
over the answering library (`bot`) through its public API."""

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no calls home from a closed network
