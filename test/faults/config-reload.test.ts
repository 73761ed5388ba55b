// A lost apps file (issue 24, item 1): deleting APPS_FILE while a real server process takes a loop
// of batches refuses none of them (the last good keys stay), logs at error level, counts it and
// shows it on /readyz, which stays ready. A restart of a store that has served, with the file
// still missing, exits 1 naming the file instead of writing a demo app with new keys.
import { renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Child, makeBatch } from './child.ts'
import { until } from './support.ts'

const child = new Child({ WRITE_MODE: 'direct', LOG_LEVEL: 'info' })
afterAll(() => child.stop('SIGKILL'))

const readyz = async () => {
  const r = await fetch(child.url + '/readyz')
  return { status: r.status, body: (await r.json()) as { status: string; config?: string } }
}
const metric = async (name: string) => {
  const text = await child.metrics()
  return Number(new RegExp(`^veil_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
}

describe('the apps file deleted under load', () => {
  it('refuses no batch, keeps the keys, logs at error level, counts it and says so on /readyz; a restored file is read again', async () => {
    await child.start()
    const appsFile = join(child.dir, 'apps.json')
    const statuses = new Map<number, number>()
    let sent = 0
    let running = true
    const clients = [0, 1, 2].map(async () => {
      while (running) {
        const r = await child.send(makeBatch(10)).catch(() => undefined)
        const status = r?.status ?? -1
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        sent++
      }
    })
    try {
      await until(() => sent > 30, 30_000, 'batches before the deletion')
      // Moved away, not unlinked, so the test can put the very file back.
      renameSync(appsFile, appsFile + '.away')
      await until(() => /apps file not reloaded/.test(child.output), 30_000, 'the failed reload logged')
      const after = sent
      await until(() => sent > after + 30, 30_000, 'batches after the deletion')
      const line = child.output.split('\n').find((l) => l.includes('apps file not reloaded'))!
      expect(JSON.parse(line)).toMatchObject({ level: 50 })
      expect(line).toMatch(/apps\.json is missing/)
      const ready = await readyz()
      expect(ready.status).toBe(200)
      expect(ready.body.config).toMatch(/^stale: apps file .* is missing/)
      expect(await metric('config_reload_failures_total')).toBeGreaterThanOrEqual(1)
      expect(await metric('config_stale')).toBe(1)
      // An invalid file is the same: kept, not replaced.
      writeFileSync(appsFile, '{ "apps": [')
      await until(async () => (await metric('config_reload_failures_total')) >= 2, 30_000, 'the invalid file refused')
      renameSync(appsFile + '.away', appsFile)
      await until(async () => (await readyz()).body.config === undefined, 30_000, 'the restored file read')
      expect(await metric('config_stale')).toBe(0)
    } finally {
      running = false
      await Promise.all(clients)
    }
    expect(Object.fromEntries(statuses)).toEqual({ 202: sent })
  })

  it('exits 1 naming the file when a store that has served starts without it, and writes no demo app', async () => {
    expect(await child.stop('SIGTERM')).toBe(0)
    const appsFile = join(child.dir, 'apps.json')
    renameSync(appsFile, appsFile + '.away')
    await expect(child.start()).rejects.toThrow(/exited with 1: [\s\S]*apps file .*apps\.json is missing/)
    renameSync(appsFile + '.away', appsFile)
    await child.start()
    expect((await child.send(makeBatch(5))).status).toBe(202)
  })
})
