"""How likely a question is German, from its characters (py3langid, a naive Bayes model
over byte n-grams that ships inside its package).

The corpus is German; a question in another language is matched across languages by the
embedding model, whose similarities then run lower for the same evidence. The confidence
model needs to know that, or it declines most English questions that its sources answer.
"""

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

LANGUAGES = ("de", "en", "fr", "es", "it", "nl", "pl", "pt", "tr", "ru", "uk")
"""The languages it chooses among: German and those colleagues are likeliest to ask in.
Fewer candidates make short questions ("NATO 3.0?") less likely to land on a rare one."""


class LanguageGuess:
    """Loaded once per bot (0.6 s); classifying a question takes well under a millisecond."""

    def __init__(self) -> None:
        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(LANGUAGES))

    def german(self, text: str) -> float:
        """Probability that `text` is German (0.5 for text without letters)."""
        if not any(char.isalpha() for char in text):
            return 0.5
        return dict(self._identifier.rank(text)).get("de", 0.0)


@cache
def language_guess() -> LanguageGuess:
    """The one shared model (read-only once loaded, so threads may share it)."""
    return LanguageGuess()
