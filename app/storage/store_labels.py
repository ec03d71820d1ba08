"""Project store, labels: add, update (attribute ids kept) and delete labels with their attributes
and skeleton keypoints. Part of :class:`~app.storage.store.Project`."""

from __future__ import annotations

import json

from sqlalchemy import Connection

from app.domain.labels import AttributeSpec, Label, LabelSet, palette_color
from app.storage.errors import ProjectError
from app.storage.store_base import StoreBase


class LabelsMixin(StoreBase):

    def labels(self) -> LabelSet:
        if self._labels is None:
            self._labels = self._load_labels()
        return self._labels

    def _load_labels(self) -> LabelSet:
        conn = self.conn
        attrs: dict[int, list[AttributeSpec]] = {}
        for r in conn.exec_driver_sql(
            'SELECT id, label_id, name, input_type, mutable, "values", default_value FROM attribute_spec '
            "ORDER BY position, id"
        ):
            attrs.setdefault(r[1], []).append(
                AttributeSpec(id=r[0], name=r[2], input_type=r[3], mutable=bool(r[4]), values=json.loads(r[5]),
                              default_value=r[6])
            )
        labels: dict[int, Label] = {}
        tops: list[Label] = []
        children: list[Label] = []
        for r in conn.exec_driver_sql(
            "SELECT id, name, color, type, parent_id, edges FROM label ORDER BY position, id"
        ):
            label = Label(id=r[0], name=r[1], color=r[2], type=r[3], parent_id=r[4],
                          edges=[tuple(e) for e in json.loads(r[5])], attributes=attrs.get(r[0], []))
            labels[label.id] = label  # type: ignore[index]
            (tops if r[4] is None else children).append(label)
        for child in children:
            labels[child.parent_id].sublabels.append(child)  # type: ignore[index]
        return LabelSet(tops)

    def _insert_label(self, conn: Connection, label: Label, parent_id: int | None = None, position: int = -1) -> Label:
        if position < 0:
            position = int(conn.exec_driver_sql("SELECT COUNT(*) FROM label").scalar_one())
        if not label.color:
            label.color = palette_color(position)
        result = conn.exec_driver_sql(
            "INSERT INTO label (name, color, type, parent_id, position, edges) VALUES (?, ?, ?, ?, ?, ?)",
            (label.name, label.color, label.type.value, parent_id, position,
             json.dumps([list(e) for e in label.edges])),
        )
        label.id = int(result.lastrowid)
        label.parent_id = parent_id
        self._insert_attributes(conn, label)
        for i, sub in enumerate(label.sublabels):
            self._insert_label(conn, sub, parent_id=label.id, position=i)
        self._labels = None
        return label

    def _insert_attributes(self, conn: Connection, label: Label) -> None:
        for i, spec in enumerate(label.attributes):
            result = conn.exec_driver_sql(
                'INSERT INTO attribute_spec (label_id, name, input_type, mutable, "values", default_value, position) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (label.id, spec.name, spec.input_type.value, spec.mutable, json.dumps(spec.values),
                 spec.default_value, i),
            )
            spec.id = int(result.lastrowid)

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
            conn.exec_driver_sql(
                "UPDATE label SET name = ?, color = ?, type = ?, edges = ? WHERE id = ?",
                (label.name, label.color, label.type.value, json.dumps([list(e) for e in label.edges]), label.id),
            )
            keep = [a.id for a in label.attributes if a.id is not None]
            marks = ",".join("?" for _ in keep) or "NULL"
            conn.exec_driver_sql(
                f"DELETE FROM attribute_spec WHERE label_id = ? AND id NOT IN ({marks})", (label.id, *keep)
            )
            for i, spec in enumerate(label.attributes):
                if spec.id is None:
                    result = conn.exec_driver_sql(
                        'INSERT INTO attribute_spec (label_id, name, input_type, mutable, "values", default_value, '
                        "position) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (label.id, spec.name, spec.input_type.value, spec.mutable, json.dumps(spec.values),
                         spec.default_value, i),
                    )
                    spec.id = int(result.lastrowid)
                else:
                    conn.exec_driver_sql(
                        'UPDATE attribute_spec SET name = ?, input_type = ?, mutable = ?, "values" = ?, '
                        "default_value = ?, position = ? WHERE id = ?",
                        (spec.name, spec.input_type.value, spec.mutable, json.dumps(spec.values),
                         spec.default_value, i, spec.id),
                    )
            existing_subs = {s.id for s in self.labels().by_id(label.id).sublabels}
            for i, sub in enumerate(label.sublabels):
                if sub.id is None:
                    self._insert_label(conn, sub, parent_id=label.id, position=i)
                else:
                    existing_subs.discard(sub.id)
                    conn.exec_driver_sql(
                        "UPDATE label SET name = ?, color = ?, position = ? WHERE id = ?",
                        (sub.name, sub.color, i, sub.id),
                    )
            for stale in existing_subs:
                conn.exec_driver_sql("DELETE FROM label WHERE id = ?", (stale,))
            self._labels = None
        self._notify("labels")

    def delete_label(self, label_id: int) -> None:
        """Delete a label and every annotation that uses it (or its sublabels)."""
        ids = [label_id] + [s.id for s in self.labels().by_id(label_id).sublabels]
        with self.transaction() as conn:
            for lid in ids:
                for table in ("shape", "track", "tag"):
                    conn.exec_driver_sql(f"DELETE FROM {table} WHERE label_id = ?", (lid,))
            conn.exec_driver_sql("DELETE FROM label WHERE id = ?", (label_id,))
            conn.exec_driver_sql("UPDATE job SET revision = revision + 1")
            self._labels = None
        self._notify("labels")

