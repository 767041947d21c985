import pytest

from index.sentences import split_sentences


def sentences(text: str, hard_breaks: bool = False) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text, hard_breaks)]


@pytest.mark.parametrize(
    "text",
    [
        "Das gilt z. B. für Berlin und Hamburg.",
        "Er wohnt in Haus Nr. 5 am Marktplatz.",
        "Dr. Müller traf Prof. Schmidt in Bonn.",
        "Das Treffen fand am 12. Februar 2026 in Brüssel statt.",
        "Er wurde im 19. Jahrhundert berühmt.",
        "Mehrere Länder überschreiten das Ziel von 3,5 % BIP.",
        "Die USA hätten jährlich 100-200 Milliarden Dollar höhere Kosten.",
        "Der Bericht (vgl. Kap. 3) zeigt u. a. Folgendes.",
    ],
)
def test_abbreviations_dates_and_numbers_do_not_split(text):
    assert sentences(text) == [text]


def test_sentences_are_verbatim_spans_in_order():
    text = "Die Quote liegt bei 3,5 % des BIP. Was nun? 'Leider', sagte sie, 'zu spät!' Ende."
    assert sentences(text) == [
        "Die Quote liegt bei 3,5 % des BIP.",
        "Was nun?",
        "'Leider', sagte sie, 'zu spät!'",
        "Ende.",
    ]


def test_hard_breaks_end_list_items_without_full_stops():
    text = "  • Kommandotransfers: zwei Hauptquartiere\n  • Lastenverschiebung: Ukraine-Hilfe"
    assert sentences(text, hard_breaks=True) == [
        "• Kommandotransfers: zwei Hauptquartiere",
        "• Lastenverschiebung: Ukraine-Hilfe",
    ]
    assert len(sentences(text)) == 1


def test_a_long_paragraph_goes_to_somajo_in_pieces_cut_between_sentences(monkeypatch):
    from index import limits
    from index.sentences import sentences as found

    text = " ".join(f"Satz Nummer {n} nennt z. B. den 12. Februar." for n in range(40))
    whole = found(text)
    monkeypatch.setattr(limits, "MAX_BLOCK_CHARS", 300)
    pieces = found(text)
    assert pieces.spans == whole.spans and len(whole.spans) == 40
    assert [(c.what, c.chars) for c in pieces.capped] == [("paragraph", len(text))]
    assert whole.capped == ()


@pytest.mark.parametrize("text", ["wort " * 500, "x" * 2500, "wort\u00a0" * 500])
def test_an_endless_sentence_is_cut_at_word_boundaries(monkeypatch, text):
    from index import limits

    monkeypatch.setattr(limits, "MAX_SENTENCE_CHARS", 100)
    spans = split_sentences(text.strip())
    assert all(0 < end - start <= 100 for start, end in spans)
    assert "".join("".join(text[s:e] for s, e in spans).split()) == "".join(text.split())
