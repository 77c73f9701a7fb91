"""``drydock`` entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from drydock.config import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Drydock: a self-hosted SageMaker.")


def _settings(**overrides: Any) -> Settings:
    # Only flags the user actually gave override DRYDOCK_* variables and defaults.
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


HostOption = Annotated[str | None, typer.Option(help="Address to listen on [DRYDOCK_HOST, 127.0.0.1]")]
PortOption = Annotated[int | None, typer.Option(help="Port to listen on [DRYDOCK_PORT, 7070]")]
HomeOption = Annotated[Path | None, typer.Option(help="State directory [DRYDOCK_HOME, ~/.drydock]")]


@app.command()
def server(
    host: HostOption = None,
    port: PortOption = None,
    home: HomeOption = None,
    db: Annotated[str | None, typer.Option(help="SQLAlchemy URL [DRYDOCK_DB, sqlite:///<home>/drydock.db]")] = None,
    object_store: Annotated[
        str | None,
        typer.Option(help="'embedded' or the URL of an S3-compatible endpoint [DRYDOCK_OBJECT_STORE]"),
    ] = None,
    region: Annotated[str | None, typer.Option(help="Region in ARNs [DRYDOCK_REGION, us-east-1]")] = None,
    log_level: Annotated[str | None, typer.Option(help="debug|info|warning [DRYDOCK_LOG_LEVEL]")] = None,
) -> None:
    """Run the Drydock server in the foreground until Ctrl-C or SIGTERM."""
    from drydock.server.runner import serve

    serve(
        _settings(host=host, port=port, home=home, db=db, object_store=object_store, region=region, log_level=log_level)
    )


@app.command()
def env(host: HostOption = None, port: PortOption = None, home: HomeOption = None) -> None:
    """Print the shell exports that point boto3, the aws CLI and the SageMaker SDK at Drydock.

    Use as: eval "$(drydock env)"
    """
    from drydock.server.credentials import root_credentials

    settings = _settings(host=host, port=port, home=home)
    credentials = root_credentials(settings)
    shown_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    lines = {
        "AWS_ENDPOINT_URL": f"http://{shown_host}:{settings.port}",
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_DEFAULT_REGION": settings.region,
        "AWS_REGION": settings.region,
    }
    for name, value in lines.items():
        typer.echo(f"export {name}={value}")


@app.command()
def audit(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many calls, newest first")] = 50,
    operation: Annotated[str | None, typer.Option(help="Only calls of this operation, e.g. CreateModel")] = None,
    resource: Annotated[str | None, typer.Option(help="Only calls on this resource, e.g. a model name")] = None,
    host: Annotated[str | None, typer.Option(help="Server address [DRYDOCK_HOST, 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Server port [DRYDOCK_PORT, 7070]")] = None,
    home: HomeOption = None,
) -> None:
    """List the audit trail: who called which operation on what, when, and how it ended.

    Reads the running server's trail through CloudTrail LookupEvents, with the credentials of `drydock env`.
    """
    from botocore.exceptions import BotoCoreError, ClientError
    from rich.console import Console

    from drydock.cli.audit import cloudtrail_client, endpoint_url, lookup, render

    settings = _settings(host=host, port=port, home=home)
    try:
        events = lookup(cloudtrail_client(settings), limit=limit, operation=operation, resource=resource)
    except ClientError as error:
        typer.echo(f"drydock audit: {error}", err=True)
        raise typer.Exit(1) from None
    except BotoCoreError as error:
        url = endpoint_url(settings)
        typer.echo(f"drydock audit: cannot reach {url} ({error}); is `drydock server` running?", err=True)
        raise typer.Exit(1) from None
    render(events, Console())


def main() -> None:
    app()
