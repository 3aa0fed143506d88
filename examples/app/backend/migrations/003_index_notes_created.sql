CREATE INDEX notes_created_at ON notes (created_at);
CREATE TABLE note_tags (
  note_id INTEGER NOT NULL REFERENCES notes (id),
  tag TEXT NOT NULL,
  PRIMARY KEY (note_id, tag)
);
