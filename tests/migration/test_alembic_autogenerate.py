"""``alembic revision --autogenerate`` leaves adk-store's tables alone with
``migration.include_object``, whether the application's metadata names them or not."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import adk_store
from adk_store import migration

from ..conftest import DATABASES, new_database
from ._alembic_project import AlembicProject, app_url

APP_MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()
notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True))
"""

APP_MODELS_WITH_ADK_STORE = """\
import sqlalchemy as sa

import adk_store

metadata = sa.MetaData()
notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True))
for table in adk_store.metadata.tables.values():
    table.to_metadata(metadata)
"""

CASES = [
    case
    for case in (
        pytest.param(("sqlite", "generic"), id="sqlite-generic"),
        pytest.param(("postgresql", "async"), id="postgresql-async", marks=pytest.mark.postgresql),
        pytest.param(("mysql", "async"), id="mysql-async", marks=pytest.mark.mysql),
    )
    if case.values[0][0] in DATABASES
]


@pytest.fixture(params=CASES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """``(adk-store URL, template)`` of a new database."""
    db_kind, template = request.param
    return new_database(db_kind, request, tmp_path / "app.db"), template


def proposed(project: AlembicProject, url: str) -> str:
    """The upgrade autogenerate writes for the database as it is (its file removed after)."""
    project.alembic("revision", "--autogenerate", "--rev-id", "proposed", "-m", "p", url=url)
    (written,) = project.versions.glob("proposed_*.py")
    source = written.read_text(encoding="utf-8")
    written.unlink()
    return source.split("def upgrade()", 1)[1].split("def downgrade()", 1)[0]


def project_with_the_store(
    folder: Path, template: str, url: str, *, include_adk_store: bool = True
) -> AlembicProject:
    """A project whose revisions created the application's table and adk-store's."""
    project = AlembicProject(folder, template, include_adk_store=include_adk_store)
    project.set_models(APP_MODELS)
    project.add_revision(
        "app_1",
        None,
        'op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True))',
        'op.drop_table("notes")',
    )
    project.add_revision("adk_1", "app_1", "migration.up(version=1)", "migration.down()")
    project.alembic("upgrade", "head", url=url)
    return project


def test_metadata_without_adk_store_tables_proposes_no_drop_of_them(
    store: tuple[str, str], tmp_path: Path
) -> None:
    store_url, template = store
    url = app_url(store_url, template)
    project = project_with_the_store(tmp_path / "project", template, url)

    upgrade = proposed(project, url)

    assert "adk_" not in upgrade
    assert "pass" in upgrade


def test_metadata_including_adk_store_tables_proposes_no_change_to_them(
    store: tuple[str, str], tmp_path: Path
) -> None:
    store_url, template = store
    url = app_url(store_url, template)
    project = project_with_the_store(tmp_path / "project", template, url)
    project.set_models(APP_MODELS_WITH_ADK_STORE)

    upgrade = proposed(project, url)

    assert "adk_" not in upgrade
    assert "pass" in upgrade


def test_without_include_object_autogenerate_would_drop_adk_store_tables(
    store: tuple[str, str], tmp_path: Path
) -> None:
    store_url, template = store
    url = app_url(store_url, template)
    project = project_with_the_store(tmp_path / "project", template, url, include_adk_store=False)

    upgrade = proposed(project, url)

    assert "op.drop_table('adk_sessions')" in upgrade


def test_combine_include_object_leaves_out_adk_store_and_what_the_application_leaves_out() -> None:
    notes = sa.Table("notes", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    drafts = sa.Table("drafts", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    index = next(iter(adk_store.metadata.tables["adk_events"].indexes))
    combined = migration.combine_include_object(
        lambda object, name, type_, reflected, compare_to: name != "drafts"
    )

    assert combined(notes, "notes", "table", False, None)
    assert not combined(drafts, "drafts", "table", False, None)
    assert not combined(None, "adk_sessions", "table", True, None)
    assert not combined(index, index.name, "index", False, None)
