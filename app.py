"""faqbot's web server: `python app.py` (or `make run`) serves the chat, the operators'
page, the REST API and the source pages (`web.server`)."""

from web.server import main

if __name__ == "__main__":
    main()
