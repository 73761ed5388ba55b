// `veil relay ...` at a customer's site (docs/relay.md) and `veil import` at the central Veil:
// run the relay, read its outbox, approve the first forward, export pending rows as signed
// bundles for an air-gapped site, and post such bundles to a running central Veil.
import { readFileSync } from 'node:fs'
import { spoolDirOf, type Config } from '../config.ts'
import { openOutbox } from '../relay/outbox.ts'
import { exportPending } from '../relay/export.ts'
import { outboxDirOf } from '../relay/start-relay.ts'
import { runRelay } from '../relay/run-relay.ts'
import type { Output } from './output.ts'
import { cliOption } from './apps-file.ts'

export const RELAY_USAGE = `  relay                run the on-prem relay (docs/relay.md): the endpoints and the whole
                       privacy pipeline at the site, rows forwarded to RELAY_CENTRAL_URL
  relay outbox [--json]
                       what is pending and what was sent, row by row, with counts per event
  relay approve        allow the first forward (RELAY_REQUIRE_APPROVAL=true)
  relay export DIR     pending rows as signed bundles in DIR (the relay stopped)
  import FILE...       post relay bundles to the running central Veil (--url, default
                       PUBLIC_URL or http://127.0.0.1:PORT); a bundle imported twice is stored once`

/** `veil relay` itself never resolves: the relay runs until a signal stops the process (run-relay.ts). */
export async function runRelayCommand(config: Config, args: string[], out: Output, err: Output): Promise<number> {
  const [sub, ...rest] = args
  const outbox = () => openOutbox(outboxDirOf(config))
  switch (sub) {
    case undefined:
    case 'run':
      await runRelay(config)
      return new Promise<number>(() => {})
    case 'outbox': {
      const view = outbox().view(spoolDirOf(config))
      if (rest.includes('--json')) {
        await out.write(JSON.stringify(view) + '\n')
        return 0
      }
      await out.write(`forwarding ${view.approved ? 'approved' : 'waits for: veil relay approve'}\n`)
      await out.write(`pending: ${view.pending.rows} rows\n`)
      for (const [k, n] of Object.entries(view.pending.perEvent)) await out.write(`  ${k}  ${n}\n`)
      for (const r of view.pending.sample) await out.write(`  ${JSON.stringify(r)}\n`)
      await out.write(`sent: ${view.sent.rows} rows in ${view.sent.forwards} forwards, ${view.sent.refused} refused centrally\n`)
      for (const [k, n] of Object.entries(view.sent.perEvent)) await out.write(`  ${k}  ${n}\n`)
      return 0
    }
    case 'approve':
      outbox().approve(Date.now())
      await out.write('forwarding approved: the relay sends its rows from its next attempt\n')
      return 0
    case 'export': {
      const dir = rest[0]
      if (!dir) {
        await err.write('veil relay export: name a directory for the bundles\n')
        return 2
      }
      const { files, rows } = await exportPending(config, dir)
      await out.write(`exported ${rows} rows in ${files.length} bundles to ${dir}\n`)
      return 0
    }
    default:
      await err.write(`veil relay: no command "${sub}"\n${RELAY_USAGE}\n`)
      return 2
  }
}

export async function runImport(config: Config, args: string[], out: Output, err: Output): Promise<number> {
  const rest = [...args]
  const url = cliOption(rest, '--url') ?? config.PUBLIC_URL ?? `http://127.0.0.1:${config.PORT}`
  if (rest.length === 0) {
    await err.write('veil import: name one or more bundle files\n')
    return 2
  }
  let failed = 0
  for (const file of rest) {
    const res = await fetch(new URL('/v1/relay/bundle', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: readFileSync(file) })
    const answer = (await res.json()) as { accepted?: number; duplicates?: number; rejected?: unknown[]; error?: string }
    if (res.status !== 200) {
      failed++
      await err.write(`${file}: ${res.status} ${answer.error ?? ''}\n`)
      continue
    }
    await out.write(`${file}: ${answer.accepted} rows accepted (${answer.duplicates} imported before), ${answer.rejected?.length ?? 0} refused\n`)
  }
  return failed ? 1 : 0
}
