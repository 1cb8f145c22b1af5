-- Files attached to records (incidents now; requests and changes later). Kept in
-- the database so that app nodes stay stateless; the hash lets downloads be checked.
CREATE TABLE attachments (
    id {{pk}},
    object_type TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content {{blob}} NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_attachments_object ON attachments (object_type, object_id, id);

-- Every mail fetched from the service-desk mailbox, whatever became of it:
-- nothing fetched is lost, and the reason is kept when no ticket was made.
CREATE TABLE inbound_mails (
    id {{pk}},
    mailbox TEXT NOT NULL,
    uid_validity BIGINT NOT NULL,
    uid BIGINT NOT NULL,
    message_id TEXT,
    from_address TEXT,
    subject TEXT,
    size BIGINT,
    status TEXT NOT NULL,
    reason TEXT,
    incident_id BIGINT REFERENCES incidents(id),
    raw {{blob}},
    received_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_inbound_mails_uid ON inbound_mails (mailbox, uid_validity, uid);
CREATE INDEX ix_inbound_mails_status ON inbound_mails (status, id);
CREATE INDEX ix_inbound_mails_message_id ON inbound_mails (message_id);
