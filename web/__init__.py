"""The web surface: the chat, the operators' page, the REST API and the source pages,
over the answering library (`bot`) through its public API."""

from index.settings import configured_model, never_call_home, stay_offline

never_call_home()
stay_offline(configured_model())
