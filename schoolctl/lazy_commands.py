"""Sub-apps loaded only when used: `schoolctl --help` and `schoolctl roster check` need neither nameko nor
eventlet nor SQLAlchemy, which the service-facing commands bring in and which take seconds to import."""
from __future__ import annotations

import importlib
from collections.abc import Sequence

import click
import typer


class LazySubApp(click.Group):
    """Stands in for a sub-app in the root's help (its name and help, known without importing it); the real
    command is built from `modules` (the first holds the Typer `app`, the rest add commands to it) when run."""

    def __init__(self, name: str, modules: Sequence[str], help: str) -> None:
        super().__init__(name=name, help=help)
        self.modules = tuple(modules)
        self._loaded: click.Group | None = None

    def loaded(self) -> click.Group:
        if self._loaded is None:
            first, *rest = (importlib.import_module(module) for module in self.modules)
            self._loaded = typer.main.get_group(first.app)  # a group even when the app has one command
            self._loaded.name = self.name
        return self._loaded

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        return self.loaded().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self.loaded().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.loaded().get_command(ctx, name)
