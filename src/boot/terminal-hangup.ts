// Tells the two SIGHUPs of a server started from a terminal apart: an operator's `kill -HUP`
// (reload, the terminal is still there) and the terminal closing (stop, as the shell expects).
import { closeSync, openSync } from 'node:fs'

/**
 * True when this process has lost its controlling terminal. When a terminal hangs up, the kernel
 * detaches it from the session before it sends SIGHUP (tty_signal_session_leader in Linux's
 * drivers/tty/tty_jobctrl.c), so /dev/tty no longer opens (ENXIO); after `kill -HUP` it does.
 */
export function terminalHungUp(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'r'))
    return false
  } catch {
    return true
  }
}
