// A row of the quarantine table (sql/0001_events.sql's neighbour, kept 30 days): the shape of an
// event that was not stored. Owned by storage, which writes it; the ingestion core shapes rejected
// events into it (src/ingest/quarantine-shape.ts) and the write path shapes dead letters.
export type QuarantineRow = [app_id: string, received_at: number, batch_index: number, reason: string, name: string, event: string]
