// The cluster variant of the schema, generated from the single-node migrations in sql/ (STYLE.md
// 14: one source per fact). Each MergeTree-family table becomes a Replicated* `<name>_local` on
// every shard with a Distributed table of the original name over it; materialized views read and
// write the local tables (a view sees only the rows inserted on its own shard); every statement
// gets `ON CLUSTER`. A table marked in its file with `-- cluster: <table> everywhere` is instead
// replicated whole to every node (small tables every node reads: salts, the org key); one marked
// `-- cluster: <table> shard by <expr>` uses that sharding key instead of rand().

export interface ClusterHints {
  /** Tables replicated whole to every node, without a Distributed table. */
  everywhere: Set<string>
  /** Sharding key of a table's Distributed table (default rand()). */
  shardBy: Map<string, string>
}

const HINT = /^--\s*cluster:\s*([A-Za-z_][A-Za-z0-9_]*)\s+(everywhere|shard by\s+(.+))\s*$/

/** Reads the `-- cluster:` hints of a migration file's text. */
export function readClusterHints(text: string, into: ClusterHints = { everywhere: new Set(), shardBy: new Map() }): ClusterHints {
  for (const line of text.split('\n')) {
    const m = HINT.exec(line.trim())
    if (!m) continue
    if (m[2] === 'everywhere') into.everywhere.add(m[1]!)
    else into.shardBy.set(m[1]!, m[3]!.trim())
  }
  return into
}

const IDENT = '([A-Za-z_][A-Za-z0-9_]*)'
const CREATE_TABLE = new RegExp(`^CREATE\\s+TABLE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?${IDENT}\\b`, 'i')
const CREATE_MV = new RegExp(`^CREATE\\s+MATERIALIZED\\s+VIEW\\s+(IF\\s+NOT\\s+EXISTS\\s+)?${IDENT}\\b`, 'i')
const CREATE_OTHER = new RegExp(`^CREATE\\s+((?:OR\\s+REPLACE\\s+)?(?:VIEW|DICTIONARY|FUNCTION))\\s+(IF\\s+NOT\\s+EXISTS\\s+)?${IDENT}\\b`, 'i')
const ALTER = new RegExp(`^ALTER\\s+TABLE\\s+${IDENT}\\b`, 'i')
const DROP = new RegExp(`^DROP\\s+(TABLE|VIEW|DICTIONARY)\\s+(IF\\s+EXISTS\\s+)?${IDENT}\\b`, 'i')
const RENAME = /^(RENAME|EXCHANGE)\s+TABLES?\b/i
const TRUNCATE = new RegExp(`^TRUNCATE\\s+(TABLE\\s+)?(IF\\s+EXISTS\\s+)?${IDENT}\\b`, 'i')
// Alterations of columns apply to the Distributed table too (it must show the same columns);
// everything else (TTL, settings, projections, mutations) only exists on the storage tables.
const COLUMN_ALTER = /^\s*(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b/i
const ENGINE = /ENGINE\s*=\s*(\w*MergeTree)\b(\s*\(([^()]*)\))?/i

/**
 * Translates the statements of the base migrations, in order, into their cluster form. State
 * (which tables are sharded) carries across migrations, so give it every migration in order.
 */
export function createClusterTranslator(cluster: string, hints: ClusterHints) {
  const on = `ON CLUSTER '${cluster}'`
  /** Base table name -> its local table, for the tables that are sharded + Distributed. */
  const sharded = new Map<string, string>()
  const localOf = (name: string) => sharded.get(name) ?? name

  /** Reads from a sharded table go to its local table: FROM/JOIN events -> FROM/JOIN events_local. */
  const toLocalReads = (sql: string) =>
    sql.replace(new RegExp(`\\b(FROM|JOIN)\\s+${IDENT}\\b`, 'gi'), (all, kw: string, name: string) =>
      sharded.has(name) ? `${kw} ${localOf(name)}` : all,
    )

  const replicated = (sql: string, path: string) =>
    sql.replace(ENGINE, (_all, engine: string, _parens: string | undefined, args: string | undefined) => {
      const rest = args?.trim() ? `, ${args.trim()}` : ''
      return `ENGINE = Replicated${engine}('/clickhouse/tables/${path}', '{replica}'${rest})`
    })
  // Deduplication of retried inserts on a replicated table is its replicated window (DESIGN.md).
  const replicatedSettings = (sql: string) => sql.replace(/\bnon_replicated_deduplication_window\b/g, 'replicated_deduplication_window')

  const withOnCluster = (sql: string, re: RegExp, name: string, replacementName = name) =>
    sql.replace(re, (head) => `${head.slice(0, head.length - name.length)}${replacementName} ${on}`)

  function createTable(sql: string, name: string): string[] {
    if (!ENGINE.test(sql)) {
      // CREATE TABLE x AS y / other engines: the same on every node.
      return [toLocalReads(withOnCluster(sql, CREATE_TABLE, name))]
    }
    if (hints.everywhere.has(name)) {
      return [replicatedSettings(replicated(withOnCluster(sql, CREATE_TABLE, name), `all/{database}/${name}`))]
    }
    const local = `${name}_local`
    sharded.set(name, local)
    const ifNot = CREATE_TABLE.exec(sql)![1] ? 'IF NOT EXISTS ' : ''
    const key = hints.shardBy.get(name) ?? 'rand()'
    return [
      replicatedSettings(replicated(withOnCluster(sql, CREATE_TABLE, name, local), `{shard}/{database}/${local}`)),
      `CREATE TABLE ${ifNot}${name} ${on} AS ${local}\nENGINE = Distributed('${cluster}', currentDatabase(), ${local}, ${key})`,
    ]
  }

  function createView(sql: string, name: string): string[] {
    // A materialized view fires on inserts into the table it reads, which on a shard is the
    // local table; it writes into the local table of its target, so the Distributed one reads it.
    let out = withOnCluster(sql, CREATE_MV, name)
    out = out.replace(new RegExp(`\\bTO\\s+${IDENT}\\b`, 'i'), (all, target: string) =>
      sharded.has(target) ? `TO ${localOf(target)}` : all,
    )
    out = replicated(out, `{shard}/{database}/${name}`)
    return [toLocalReads(out)]
  }

  function alter(sql: string, name: string): string[] {
    const body = replicatedSettings(sql.replace(ALTER, ''))
    if (!sharded.has(name)) return [`ALTER TABLE ${name} ${on}${body}`]
    const out = [`ALTER TABLE ${localOf(name)} ${on}${body}`]
    if (body.split(',').every((part) => COLUMN_ALTER.test(part))) out.push(`ALTER TABLE ${name} ${on}${body}`)
    return out
  }

  return function translate(statement: string): string[] {
    let m: RegExpExecArray | null
    if ((m = CREATE_TABLE.exec(statement))) return createTable(statement, m[2]!)
    if ((m = CREATE_MV.exec(statement))) return createView(statement, m[2]!)
    // Plain views read through the Distributed tables, as queries do.
    if ((m = CREATE_OTHER.exec(statement))) return [withOnCluster(statement, CREATE_OTHER, m[3]!)]
    if ((m = ALTER.exec(statement))) return alter(statement, m[1]!)
    if ((m = DROP.exec(statement))) {
      const name = m[3]!
      const drop = (n: string) => withOnCluster(statement, DROP, name, n)
      if (!sharded.has(name)) return [drop(name)]
      const local = localOf(name)
      sharded.delete(name)
      return [drop(name), drop(local)]
    }
    if ((m = TRUNCATE.exec(statement))) return [withOnCluster(statement, TRUNCATE, m[3]!, localOf(m[3]!))]
    if (RENAME.test(statement)) {
      throw new Error(`cluster schema: RENAME/EXCHANGE cannot be translated safely; write it as CREATE + INSERT + DROP: ${statement.slice(0, 80)}`)
    }
    // INSERT ... SELECT (backfills) and the like go through the Distributed tables, once.
    return [statement]
  }
}
