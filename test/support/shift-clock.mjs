// Moves this process's clock VEIL_TEST_CLOCK_SHIFT_DAYS days ahead, for the CI run that proves no
// test is tied to a calendar day (`npm run test:clock`, loaded through NODE_OPTIONS so that child
// processes move too). Only Date moves: timers and performance.now() run on the monotonic clock.
// The embedded engine keeps the real wall clock, so a test that stamps rows with a shifted
// Date.now() and lets the engine judge them (TTLs, now()) must still hold 40 days apart.
const days = Number(process.env.VEIL_TEST_CLOCK_SHIFT_DAYS ?? 0)
if (Number.isFinite(days) && days !== 0 && !globalThis.__veilClockShifted) {
  const shift = days * 86_400_000
  const RealDate = globalThis.Date
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + shift)
      else super(...args)
    }
    static now() {
      return RealDate.now() + shift
    }
  }
  globalThis.Date = ShiftedDate
  globalThis.__veilClockShifted = true
}
