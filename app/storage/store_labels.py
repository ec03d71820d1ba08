"""Project store, labels: add, update (attribute ids kept) and delete labels with their attributes
and skeleton keypoints. Part of :class:`~app.storage.store.Project`."""

from __future__ import annotations

import json

from sqlalchemy import Connection, bindparam, text

from app.domain.labels import AttributeSpec, Label, LabelSet, palette_color
from app.storage.errors import ProjectError
from app.storage.store_base import StoreBase

_INSERT_LABEL = text(
    "INSERT INTO label (name, color, type, parent_id, position, edges) "
    "VALUES (:name, :color, :type, :parent_id, :position, :edges) RETURNING id"
)
_INSERT_ATTRIBUTE = text(
    'INSERT INTO attribute_spec (label_id, name, input_type, mutable, "values", default_value, position) '
    "VALUES (:label_id, :name, :input_type, :mutable, :values, :default_value, :position) RETURNING id"
)


def _attribute_params(label_id: int, spec: AttributeSpec, position: int) -> dict:
    return {"label_id": label_id, "name": spec.name, "input_type": spec.input_type.value, "mutable": bool(spec.mutable),
            "values": json.dumps(spec.values), "default_value": spec.default_value, "position": position}


class LabelsMixin(StoreBase):

    def labels(self) -> LabelSet:
        if self._labels is None:
            self._labels = self._load_labels()
        return self._labels

    def _load_labels(self) -> LabelSet:
        conn = self.conn
        attrs: dict[int, list[AttributeSpec]] = {}
        for r in conn.execute(text(
            'SELECT id, label_id, name, input_type, mutable, "values", default_value FROM attribute_spec '
            "ORDER BY position, id"
        )):
            attrs.setdefault(r[1], []).append(
                AttributeSpec(id=r[0], name=r[2], input_type=r[3], mutable=bool(r[4]), values=json.loads(r[5]),
                              default_value=r[6])
            )
        labels: dict[int, Label] = {}
        tops: list[Label] = []
        children: list[Label] = []
        for r in conn.execute(text("SELECT id, name, color, type, parent_id, edges FROM label ORDER BY position, id")):
            label = Label(id=r[0], name=r[1], color=r[2], type=r[3], parent_id=r[4],
                          edges=[tuple(e) for e in json.loads(r[5])], attributes=attrs.get(r[0], []))
            labels[label.id] = label  # type: ignore[index]
            (tops if r[4] is None else children).append(label)
        for child in children:
            labels[child.parent_id].sublabels.append(child)  # type: ignore[index]
        return LabelSet(tops)

    def _insert_label(self, conn: Connection, label: Label, parent_id: int | None = None, position: int = -1) -> Label:
        if position < 0:
            position = int(conn.execute(text("SELECT COUNT(*) FROM label")).scalar_one())
        if not label.color:
            label.color = palette_color(position)
        label.id = int(conn.execute(_INSERT_LABEL, {
            "name": label.name, "color": label.color, "type": label.type.value, "parent_id": parent_id,
            "position": position, "edges": json.dumps([list(e) for e in label.edges])}).scalar_one())
        label.parent_id = parent_id
        self._insert_attributes(conn, label)
        for i, sub in enumerate(label.sublabels):
            self._insert_label(conn, sub, parent_id=label.id, position=i)
        self._labels = None
        return label

    def _insert_attributes(self, conn: Connection, label: Label) -> None:
        for i, spec in enumerate(label.attributes):
            spec.id = int(conn.execute(_INSERT_ATTRIBUTE, _attribute_params(label.id, spec, i)).scalar_one())

    def add_label(self, label: Label) -> Label:
        """Add a label (with attributes and, for skeletons, sublabels); names must be unique."""
        if self.labels().by_name(label.name) is not None:
            raise ProjectError(f"A label named {label.name!r} already exists.")
        with self.transaction() as conn:
            self._insert_label(conn, label)
        self._notify("labels")
        return label

    def update_label(self, label: Label) -> None:
        """Update name, colour, type, edges and attributes. Attributes keep their ids when kept; new ones get ids."""
        if label.id is None:
            raise ProjectError("Cannot update a label that was never added.")
        clash = self.labels().by_name(label.name)
        if clash is not None and clash.id != label.id:
            raise ProjectError(f"A label named {label.name!r} already exists.")
        with self.transaction() as conn:
            conn.execute(
                text("UPDATE label SET name = :name, color = :color, type = :type, edges = :edges WHERE id = :id"),
                {"name": label.name, "color": label.color, "type": label.type.value,
                 "edges": json.dumps([list(e) for e in label.edges]), "id": label.id},
            )
            keep = [a.id for a in label.attributes if a.id is not None]
            conn.execute(
                text("DELETE FROM attribute_spec WHERE label_id = :label_id AND NOT (id IN :keep)")
                .bindparams(bindparam("keep", expanding=True)),
                {"label_id": label.id, "keep": keep},
            )
            for i, spec in enumerate(label.attributes):
                if spec.id is None:
                    spec.id = int(conn.execute(_INSERT_ATTRIBUTE, _attribute_params(label.id, spec, i)).scalar_one())
                else:
                    conn.execute(
                        text('UPDATE attribute_spec SET name = :name, input_type = :input_type, mutable = :mutable, '
                             '"values" = :values, default_value = :default_value, position = :position '
                             "WHERE id = :id"),
                        {**_attribute_params(label.id, spec, i), "id": spec.id},
                    )
            existing_subs = {s.id for s in self.labels().by_id(label.id).sublabels}
            for i, sub in enumerate(label.sublabels):
                if sub.id is None:
                    self._insert_label(conn, sub, parent_id=label.id, position=i)
                else:
                    existing_subs.discard(sub.id)
                    conn.execute(
                        text("UPDATE label SET name = :name, color = :color, position = :position WHERE id = :id"),
                        {"name": sub.name, "color": sub.color, "position": i, "id": sub.id},
                    )
            for stale in existing_subs:
                conn.execute(text("DELETE FROM label WHERE id = :id"), {"id": stale})
            self._labels = None
        self._notify("labels")

    def delete_label(self, label_id: int) -> None:
        """Delete a label and every annotation that uses it (or its sublabels)."""
        ids = [label_id] + [s.id for s in self.labels().by_id(label_id).sublabels]
        with self.transaction() as conn:
            for lid in ids:
                for table in ("shape", "track", "tag"):
                    conn.execute(text(f"DELETE FROM {table} WHERE label_id = :label_id"), {"label_id": lid})
            conn.execute(text("DELETE FROM label WHERE id = :id"), {"id": label_id})
            conn.execute(text("UPDATE job SET revision = revision + 1"))
            self._job_versions.update({job: version + 1 for job, version in self._job_versions.items()})
            self._labels = None
        self._notify("labels")

