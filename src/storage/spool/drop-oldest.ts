// A full spool that gives up its oldest rows instead of refusing new ones (SpoolOptions.full,
// set by a relay with RELAY_SPOOL_FULL=drop-oldest: docs/relay.md "When the spool is full").
// Whole frames, oldest first, never the range the feeder is inserting; how far is synced in the
// `drops` ring (ledger.ts) before the new rows are written, so a start neither replays the
// dropped frames nor counts their deleted segments as damage (replay.ts, replay-check.ts).
import type { DropMark, RecordRing } from './ledger.ts'
import type { Feeder } from './feeder.ts'
import type { SpoolBacklog, SpoolOptions } from './types.ts'

export interface DropContext {
  opts: Pick<SpoolOptions, 'onDrop'>
  backlog: SpoolBacklog
  feeder: Pick<Feeder, 'inFlight' | 'retireDropped' | 'feed'>
  ring: RecordRing<DropMark>
  /** The segment appends go to: never deleted. */
  currentSeq(): number
}

/**
 * `makeRoom(bytes)`: takes frames off the backlog's head (after the insert under way) until at
 * least `bytes` are freed, and resolves once that is recorded; undefined, dropping nothing, when
 * the frames not in flight are too few (the append is then refused as before). `recorded()`:
 * resolves once every drop so far is synced; rejects once one could not be.
 */
export function createDropper(ctx: DropContext): { makeRoom(bytes: number): Promise<void> | undefined; recorded(): Promise<void> } {
  const { backlog } = ctx
  // Records are written one after another, so the ring's newest slot is the greatest mark.
  let last: Promise<void> = Promise.resolve()
  // A record that could not be synced (a failing disk): from then on the spool refuses when full,
  // as without the option, and no segment is deleted until the next start, which replays the
  // frames that drop took out of the feed (its mark is not on disk): forwarded late, never lost.
  let broken: unknown
  const makeRoom = (bytes: number) => {
    if (broken !== undefined) return undefined
    const { queue } = backlog
    let from = ctx.feeder.inFlight()
    // A range whose insert failed waits at the head to be sent again with the same token: it is
    // the intent log's, and a start would replay it whatever a drop said (ledger.ts isDropped).
    while (queue[from]?.fixed) from++
    let to = from
    let freed = 0
    while (to < queue.length && freed < bytes) freed += queue[to]!.end - queue[to++]!.offset
    if (freed < bytes) return undefined
    const dropped = queue.splice(from, to - from)
    const rows = dropped.reduce((n, c) => n + c.rows, 0)
    backlog.rows -= rows
    backlog.bytes -= freed
    const tail = dropped.at(-1)!
    const mark: DropMark = { seq: tail.seq, end: tail.end, rows }
    // Segments every frame of which is now dropped or inserted: not the one being inserted from,
    // nor one that still holds a kept frame, nor the one being written.
    const firstSeq = from > 0 ? queue[0]!.seq + 1 : dropped[0]!.seq
    const keptSeq = queue[from]?.seq ?? ctx.currentSeq()
    const recorded = last.then(() => ctx.ring.record(mark))
    last = recorded.catch((e: unknown) => {
      broken ??= e ?? new Error('drop not recorded')
      // Still on disk and pending (for the next start): they count against the bound.
      backlog.rows += rows
      backlog.bytes += freed
    })
    // fedTo() waits whose frames were dropped are over: the feeder settles them.
    ctx.feeder.feed()
    return recorded.then(async () => {
      ctx.opts.onDrop?.(rows, freed)
      await ctx.feeder.retireDropped(firstSeq, keptSeq).catch(() => undefined)
    })
  }
  // The feeder deletes segments only once the drops before them are synced (FeedContext.dropsRecorded).
  async function recorded(): Promise<void> {
    for (let p = last; ; p = last) {
      await p
      if (broken !== undefined) throw new Error('a drop of the oldest rows could not be recorded', { cause: broken })
      if (p === last) return
    }
  }
  return { makeRoom, recorded }
}
