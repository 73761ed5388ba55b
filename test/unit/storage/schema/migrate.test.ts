// Migration files without a database: splitStatements cuts a file into statements, and
// readMigrations reads numbered files in order with {{RETENTION_MONTHS}} filled in.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readMigrations, splitStatements, SQL_DIR } from '../../../../src/storage/schema/migrate.ts'

describe('splitStatements', () => {
  it('splits on semicolons that end a line and drops comment lines', () => {
    const sql = '-- the events\nCREATE TABLE a (x UInt8);\n\n-- another\nCREATE TABLE b\n(\n  y String\n);\n'
    expect(splitStatements(sql)).toEqual(['CREATE TABLE a (x UInt8)', 'CREATE TABLE b\n(\n  y String\n)'])
  })

  it('keeps a semicolon inside a line, such as in a string literal', () => {
    expect(splitStatements("SELECT 'a;b' AS x;\nSELECT 2")).toEqual(["SELECT 'a;b' AS x", 'SELECT 2'])
  })

  it('accepts a last statement without a semicolon and ignores trailing blank lines', () => {
    expect(splitStatements('SELECT 1;  \nSELECT 2\n\n')).toEqual(['SELECT 1', 'SELECT 2'])
  })

  it('gives nothing for a file of comments', () => {
    expect(splitStatements('-- nothing here\n  -- at all\n')).toEqual([])
  })
})

describe('readMigrations', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  function folder(files: Record<string, string>): string {
    dir = mkdtempSync(join(tmpdir(), 'veil-migrations-'))
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
    return dir
  }

  it('reads numbered files in version order with their names', () => {
    const d = folder({ '0002_second.sql': 'SELECT 2;\n', '0001_first.sql': 'SELECT 1;\n', '0010_tenth.sql': 'SELECT 10;\n' })
    const m = readMigrations({ retentionMonths: 24, dir: d })
    expect(m.map((x) => [x.version, x.name])).toEqual([[1, 'first'], [2, 'second'], [10, 'tenth']])
    expect(m[0]!.statements).toEqual(['SELECT 1'])
  })

  it('ignores files that are not numbered migrations', () => {
    const d = folder({ '0001_first.sql': 'SELECT 1;\n', 'README.md': '# x', 'notes.sql': 'DROP TABLE events;', '1_short.sql': 'SELECT 0;' })
    expect(readMigrations({ retentionMonths: 24, dir: d }).map((x) => x.name)).toEqual(['first'])
  })

  it('fills in every {{RETENTION_MONTHS}}', () => {
    const d = folder({ '0001_t.sql': 'CREATE TABLE t (d Date) TTL d + INTERVAL {{RETENTION_MONTHS}} MONTH;\nALTER TABLE t MODIFY TTL d + INTERVAL {{RETENTION_MONTHS}} MONTH;\n' })
    const [m] = readMigrations({ retentionMonths: 18, dir: d })
    expect(m!.statements).toEqual([
      'CREATE TABLE t (d Date) TTL d + INTERVAL 18 MONTH',
      'ALTER TABLE t MODIFY TTL d + INTERVAL 18 MONTH',
    ])
  })

  it('gives the project events table the configured retention, with no placeholder left', () => {
    const all = readMigrations({ retentionMonths: 24 })
    expect(all[0]).toMatchObject({ version: 1, name: 'events' })
    expect(SQL_DIR.endsWith('sql')).toBe(true)
    const text = all.flatMap((m) => m.statements).join('\n')
    expect(text).not.toContain('{{')
    expect(all[0]!.statements.join('\n')).toMatch(/TTL toDateTime\(received_at\) \+ INTERVAL 24 MONTH/)
  })
})
