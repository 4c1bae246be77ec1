"""How the command line fails: every error one message on stderr with the documented exit
status (2 bad input, 1 anything else), never a traceback (``-v`` logs the traceback of an
unexpected error)."""
from __future__ import annotations

import logging

import click

from .errors import AssetMapError, InputError

log = logging.getLogger("assetmap")


class ErrorsToExitStatus(click.Group):
    """Turns every error into one message on stderr and the documented exit status."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as e:
            click.echo(f"Error: {e}", err=True)
            ctx.exit(2)
        except AssetMapError as e:      # NoData (nothing to work on) exits 2, others 1
            click.echo(f"Error: {e}", err=True)
            ctx.exit(getattr(e, "exit_code", 1))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except OSError as e:     # a file or folder the command could not read or write
            click.echo(f"Error: {e.strerror or e}"
                       + (f": {e.filename}" if getattr(e, "filename", None) else ""), err=True)
            ctx.exit(1)
        except Exception as e:  # noqa: BLE001 - the last resort: a message, never a traceback
            if (ctx.obj or {}).get("verbose"):
                log.exception("unexpected error")
            click.echo(f"Error: unexpected {type(e).__name__}: {e} (run with -v for the "
                       "details, and report it)", err=True)
            ctx.exit(1)
