// The events table's rows as the spool stores them and the engine reads them: RowBinary, from an
// encoder generated for its columns (row-binary.ts). The types follow sql/0001 and sql/0009 in
// EVENT_COLUMNS order (LowCardinality is the plain type in RowBinary); a test checks them
// against the migrated table, so a new column cannot be forgotten here.
import type { EventRow } from '../../pipeline/types.ts'
import { rowBinaryCodec, type BinaryType } from './row-binary.ts'

export const EVENT_BINARY_TYPES: readonly BinaryType[] = [
  'String', 'UUID', 'String', 'DateTime64(3)', 'DateTime64(3)', 'String', 'String', 'String',
  'UInt32', 'Map(String, String)', 'Map(String, Float64)', 'String', 'String', 'String', 'String', 'String',
  'String', 'String', 'String', 'UInt16', 'UInt16', 'String', 'String',
  'String',
]

export const EVENT_ROWS = rowBinaryCodec<EventRow>(EVENT_BINARY_TYPES)

/**
 * The file() structure the engine reads RowBinary bodies with: the table's types with plain
 * String for LowCardinality(String). Read as LowCardinality, each value is looked up in a
 * dictionary as it is parsed (9 us/row for the events table alone); read as String and
 * converted a column at a time by the insert, 3.3-3.9 us/row (docs/performance.md, "The engine's door").
 */
export const EVENT_STRUCTURE = [
  'app_id String', 'event_id UUID', 'name String', "ts DateTime64(3, 'UTC')", "received_at DateTime64(3, 'UTC')",
  'user_hash String', 'session_hash String', 'org_hash String', 'salt_period UInt32', 'props Map(String, String)',
  'metrics Map(String, Float64)', 'country String', 'city String', 'browser String', 'browser_version String', 'os String',
  'os_version String', 'device_type String', 'lang String', 'screen_w UInt16', 'screen_h UInt16', 'app_version String',
  'deployment String', 'user_kind String',
].join(', ')
