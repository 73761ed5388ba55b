// One person, one count within a salt period (issue 26 "k counts people", issue 27 item 5): which
// hash stands for a logged-in user or an anonymous device, so that a visitor who logs in counts once.
// Holds only keyed digests under the period's salt, and is emptied with the id hashes at rotation.

/**
 * The memory of one app and period. Keys and values are `user_hash` digests (HMAC under the
 * period's salt, hash-ids.ts): a device's, or a user id's. Rules, chosen so that where the
 * memory must choose it merges (a lower bound of people) rather than splits:
 * - the first user seen on a device takes over that device's hash: the visitor's events before
 *   the login and the user's after it are one person; the device is then claimed by that user;
 * - a user keeps the first hash given to them for the whole period, on every device;
 * - a later user on a claimed device (an office behind one address and one browser build, a
 *   shared computer) is counted by their own user id, apart;
 * - anonymous events on a claimed device count for the user who claimed it.
 */
export interface PersonMemory {
  /** The hash of a logged-in user's event (`userHash` from the user id; `device` if a browser sent it). */
  user(userHash: string, device: string | undefined): string
  /** The hash of an anonymous browser event on `device`. */
  anonymous(device: string): string
  /** How many users and devices it holds (for tests and the bound). */
  readonly size: number
  clear(): void
}

/**
 * `max` bounds the entries (users plus claimed devices). When full, nothing more is recorded:
 * people already held keep their hash, and a new user counts by their own id (their device's
 * anonymous events before the login then count once more), so a full memory never splits a
 * person it already holds, and the count stays what it was before this memory existed at worst.
 */
export function createPersonMemory(max: number): PersonMemory {
  const users = new Map<string, string>()
  const claims = new Map<string, string>()
  const full = () => users.size + claims.size >= max
  return {
    user(userHash, device) {
      let person = users.get(userHash)
      if (person === undefined) {
        if (full()) return userHash
        // First sight of this user in the period: the device's hash if no one has claimed it.
        person = device !== undefined && !claims.has(device) ? device : userHash
        users.set(userHash, person)
      }
      // Their anonymous events on this device from now on are theirs too.
      if (device !== undefined && !claims.has(device) && !full()) claims.set(device, person)
      return person
    },
    anonymous: (device) => claims.get(device) ?? device,
    get size() {
      return users.size + claims.size
    },
    clear() {
      users.clear()
      claims.clear()
    },
  }
}
