"""Allow ``python -m kamcoach``."""

from kamcoach.cli.main import main

if __name__ == "__main__":
    main()
