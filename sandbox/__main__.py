"""`python -m sandbox`: run the sandbox in the foreground."""

import typer

from sandbox.cli import sandbox_command

if __name__ == "__main__":
    typer.run(sandbox_command)
