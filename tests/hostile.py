"""Inputs a chat must survive: shared by the answer, CLI, UI and API tests."""

import pytest

HOSTILE_INPUTS = [
    pytest.param("", id="empty"),
    pytest.param(" \t\n  \r\n", id="whitespace"),
    pytest.param("Was ist NATO 3.0? " * 5700, id="100KB"),
    pytest.param("\x00Was\x00 ist\x01\x02 Arctic\x1b[31m Sentry?\x7f", id="NUL-and-control"),
    pytest.param("ما هو حلف الناتو؟ \u202eRTL-override\u202c", id="RTL"),
    pytest.param("🙂👍🏽👨‍👩‍👧 NATO? 🇩🇪", id="emoji"),
    pytest.param("Z\u0351\u0352\u0300a\u0301\u0302l\u0303g\u0304o NATO\u0308", id="combining"),
    pytest.param("'; DROP TABLE passages; -- \" OR 1=1", id="SQL"),
    pytest.param("<img src=x onerror=alert(1)><style>*{display:none}</style>", id="HTML"),
    pytest.param("<script>alert(document.cookie)</script> javascript:alert(1)", id="JS"),
    pytest.param("**fett** [klick](javascript:alert(1)) ![bild](x) # Titel $x^2$", id="Markdown"),
    pytest.param("?!.,;:-–—…«»„“()[]{}", id="punctuation"),
    pytest.param("Что такое НАТО? 北约是什么？ नाटो क्या है?", id="non-Latin"),
]

BOUND_SECONDS = 30.0
"""No input may hang the bot: answers take milliseconds, and a pathological one took
minutes before inputs were capped; 30 s tells the two apart even on a CI machine busy
with other work (how fast answers are is measured by `make bench`, not here)."""
