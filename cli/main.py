"""The hubload command line."""


def main() -> None:
    """Entry point of the `hubload` console script."""
