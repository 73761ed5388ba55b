// Names a strict plan refused (sql/0080_unplanned_names.sql): an undeclared event name, or the
// undeclared prop keys of a declared event, stored by the values rule (PRIVACY.md 17) as tokens
// until k people of a period sent them, so that GET /v1/stats/rejections can name them then.
import type { ValueSealer } from './sealer.ts'

/** A row of unplanned_names: app, received_at (ms), period, kind, reason, name, key, user_hash. */
export type UnplannedRow = [app_id: string, received_at: number, period: number, kind: 'event' | 'prop', reason: string, name: string, key: string, user_hash: string]

/** The fields the names are sealed in: apart from the stored events' own (seal-values.ts fieldOf). */
export const unplannedField = {
  name: () => 'unplanned:name',
  key: (name: string) => `unplanned:key:${name}`,
} as const

/** At most this many undeclared keys of one event are recorded (the quarantine keeps 30 shapes). */
const MAX_KEYS = 30

export interface UnplannedRecorder {
  /**
   * Records an event the plan refused (`keys` undefined) or the undeclared keys of one it kept.
   * `name` and `keys` are raw: they leave here only in their stored form.
   */
  record(at: Parameters<ValueSealer['periodKey']>, e: { name: string; user_hash: string; salt_period: number }, reason: string, receivedAt: number, keys?: readonly string[]): void
}

export function createUnplannedRecorder(sealer: ValueSealer, write: (rows: UnplannedRow[]) => void): UnplannedRecorder {
  return {
    record(at, e, reason, receivedAt, keys) {
      const k = sealer.periodKey(...at)
      const name = sealer.store(k, unplannedField.name(), e.name)
      if (keys === undefined) return write([[k.appId, receivedAt, e.salt_period, 'event', reason, name, '', e.user_hash]])
      // A declared event's name is the plan's: stored as it is, its undeclared keys sealed.
      write(keys.slice(0, MAX_KEYS).map((raw) => [k.appId, receivedAt, e.salt_period, 'prop', reason, e.name, sealer.store(k, unplannedField.key(e.name), raw), e.user_hash]))
    },
  }
}
