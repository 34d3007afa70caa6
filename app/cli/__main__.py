"""``python -m app.cli``: the command line from a checkout, as the tests start it."""

from app.cli import main

if __name__ == "__main__":
    main()
