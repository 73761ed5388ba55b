// The spool's clock for waits and ages (feed delay, heal time, stop budget, oldest unfed frame):
// the monotonic one. On Date.now() a wall clock set back a day stalled the feeder for a day (it
// waited `since + delay - now`) while the oldest frame's age read 0 (issue 24).
export const monotonicMs = (): number => performance.now()
