"""Schema version 7 (issue 11, trust signals): who awarded a provider's quality mark
(``quality_mark_by``: council or self), its CQC overall rating (``cqc_rating``) and its
community focus as vocabulary ids (``community_tags``, see ``assetmap.focus``).

Existing rows are back-filled: every quality mark already stored counts as self-declared
(nothing recorded that the council verified it), and the tags are read from the free-text
``community_focus`` (``focus.tags_from_text``), which is kept as it was.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

from assetmap import focus
from assetmap.store.migrations.helpers import set_schema_version
from assetmap.store.schema import Str, Txt

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("providers", sa.Column("quality_mark_by", Str(8)))
    op.add_column("providers", sa.Column("cqc_rating", Str(24)))
    op.add_column("providers", sa.Column("community_tags", Txt()))
    prov = sa.table("providers", sa.column("asset_id", sa.String),
                    sa.column("quality_mark", sa.String),
                    sa.column("quality_mark_by", sa.String),
                    sa.column("community_focus", sa.Text),
                    sa.column("community_tags", sa.Text))
    op.execute(prov.update().where(prov.c.quality_mark.isnot(None))
               .where(prov.c.quality_mark != "none").values(quality_mark_by="self"))
    bind = op.get_bind()
    rows = bind.execute(sa.select(prov.c.asset_id, prov.c.community_focus)
                        .where(prov.c.community_focus.isnot(None))).fetchall()
    for asset_id, text in rows:
        tags = "|".join(focus.tags_from_text(text or ""))
        if tags:
            bind.execute(prov.update().where(prov.c.asset_id == asset_id)
                         .values(community_tags=tags))
    set_schema_version(revision)
