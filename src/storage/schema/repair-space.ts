// The disk space a start-up repair of the aggregates needs (repair-aggregates.ts), known before it
// writes anything: on a full disk its DELETE mutation could never finish, and a start that began
// it anyway failed late with the engine's "Cannot reserve" and left the mutation behind.
import type { ClickHouseClient } from '@clickhouse/client'
import type { RepairPlan } from './repair-aggregates.ts'

/**
 * The least the engine reserves for any part it writes (ClickHouse's
 * RESERVATION_MIN_ESTIMATION_SIZE, 1 MiB: "Cannot reserve 1.00 MiB" on a full disk).
 */
const MIN_RESERVATION = 2 ** 20
/** A mutation reserves its part's size times this (ClickHouse's DISK_USAGE_COEFFICIENT_TO_RESERVE). */
const MUTATION_COEFFICIENT = 1.1
/** Parts the engine mutates at once at most (its background pool's default size). */
const PARALLEL_PARTS = 16

export interface RepairSpace {
  /** Bytes the repair may need free at once: mutated copies, their reservations and the new parts. */
  neededBytes: number
  /** Bytes of the aggregate parts it rewrites. */
  partBytes: number
}

/**
 * What the repair needs: its DELETE rewrites every active part of the months it touches (the old
 * parts stay on disk until the engine removes them, minutes later), each reserving its size times
 * 1.1 and at least 1 MiB, up to 16 at once; its INSERT then writes a part per table and month.
 * An upper bound: a mutation skips parts without a row of the pairs.
 */
export async function repairSpace(client: ClickHouseClient, plan: RepairPlan): Promise<RepairSpace> {
  if (plan.pairs.length === 0 || plan.targets.length === 0) return { neededBytes: 0, partBytes: 0 }
  const months = [...new Set(plan.pairs.map((p) => p.slice(p.lastIndexOf('|') + 1, p.lastIndexOf('|') + 8).replace('-', '')))]
  const rs = await client.query({
    query: `SELECT sum(bytes_on_disk) AS bytes, count() AS parts FROM system.parts
      WHERE database = currentDatabase() AND active AND table IN {tables:Array(String)} AND partition_id IN {months:Array(String)}`,
    query_params: { tables: plan.targets.map((t) => t.table), months },
    format: 'JSONEachRow',
  })
  const [row] = await rs.json<{ bytes: string | number; parts: string | number }>()
  const partBytes = Number(row?.bytes ?? 0)
  const parts = Number(row?.parts ?? 0)
  const newParts = plan.targets.length * months.length
  const neededBytes = Math.ceil(MUTATION_COEFFICIENT * partBytes) + MIN_RESERVATION * Math.min(parts, PARALLEL_PARTS) + partBytes + MIN_RESERVATION * newParts
  return { neededBytes, partBytes }
}
