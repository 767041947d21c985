"""`python -m bot ask "Frage" [--json]`: print an answer and its citations."""

import argparse
import json
import sys

from bot import Answer, default_bot
from index.errors import FaqbotError
from index.settings import Settings, SettingsError


def render(reply: Answer) -> str:
    short = [f"Kurz: {reply.short}"] if reply.short else []
    lines = [*short, reply.text, "", f"Sicherheit: {reply.confidence:.0%}"]
    if reply.citations:
        lines.append("Quellen:")
        lines.extend(
            f"  [{n}] {hit.title} – {hit.section} ({hit.source})"
            for n, hit in enumerate(reply.citations, start=1)
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer one question")
    ask.add_argument("question", help='the question; "-" reads it from standard input')
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    args = parser.parse_args(argv)
    question = sys.stdin.read() if args.question == "-" else args.question
    try:
        reply = default_bot(Settings()).answer(question)
    except (FaqbotError, SettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(reply.to_json(), ensure_ascii=False) if args.json else render(reply))
    return 0


if __name__ == "__main__":
    sys.exit(main())
