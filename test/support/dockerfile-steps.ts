// Reads a Dockerfile into stages of steps, and runs them outside Docker (there is no Docker
// engine in CI): each stage gets a folder standing for its filesystem root, COPY copies from the
// build context or an earlier stage, RUN runs its npm commands as written (same flags, same
// order) and its mkdir under the stage's root. What cannot run without root (chown) is returned
// for the test to check; any other command is refused, so the test never silently skips a step.
import { exec } from 'node:child_process'
import { promisify } from 'node:util'
import { cpSync, mkdirSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'

export interface Stage {
  name: string
  base: string
  lines: string[]
  env: Record<string, string>
  workdir: string
  user?: string
  cmd?: string[]
}

/** Instructions of a Dockerfile, continuation lines joined, comments dropped, by stage. */
export function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
  const stages: Stage[] = []
  for (const line of lines) {
    const from = /^FROM (\S+)(?: AS (\S+))?$/i.exec(line)
    if (from) stages.push({ name: from[2] ?? String(stages.length), base: from[1]!, lines: [], env: {}, workdir: '/' })
    else stages.at(-1)!.lines.push(line)
  }
  return stages
}

export interface RunResult {
  /** `chown` steps seen: owner and the absolute paths. */
  chowns: { owner: string; paths: string[] }[]
  /** Each command run, as written in the Dockerfile. */
  ran: string[]
}

const under = (root: string, path: string, workdir: string) => join(root, isAbsolute(path) ? path : join(workdir, path))

/**
 * Runs every stage. `roots[stage]` is that stage's "/"; `context` the build context; `env` is
 * added to each command's environment (e.g. the npm cache).
 */
export async function runStages(stages: Stage[], context: string, roots: Record<string, string>, env: Record<string, string>): Promise<RunResult> {
  const result: RunResult = { chowns: [], ran: [] }
  for (const stage of stages) {
    const root = roots[stage.name]!
    mkdirSync(root, { recursive: true })
    for (const line of stage.lines) {
      const [, op, rest = ''] = /^(\S+)\s*(.*)$/.exec(line)!
      switch (op!.toUpperCase()) {
        case 'WORKDIR':
          stage.workdir = isAbsolute(rest) ? rest : join(stage.workdir, rest)
          mkdirSync(join(root, stage.workdir), { recursive: true })
          break
        case 'ENV':
          // `$VAR` and `${VAR}` expand as Docker expands them: the stage's ENV so far, else the
          // base image's, which is this machine's here (`PATH=/app/bin:$PATH`).
          for (const m of rest.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
            stage.env[m[1]!] = m[2]!.replace(/^"|"$/g, '').replace(/\$\{?(\w+)\}?/g, (_, name: string) => stage.env[name] ?? process.env[name] ?? '')
          }
          break
        case 'COPY': {
          const parts = rest.split(/\s+/)
          const fromStage = /^--from=(\S+)$/.exec(parts[0]!)?.[1]
          if (fromStage) parts.shift()
          const dest = parts.pop()!
          const srcRoot = fromStage ? roots[fromStage]! : context
          for (const src of parts) {
            const from = fromStage ? join(srcRoot, src) : join(context, src)
            const to = under(root, dest, stage.workdir)
            cpSync(from, dest.endsWith('/') ? join(to, src.split('/').pop()!) : to, { recursive: true })
          }
          break
        }
        case 'RUN':
          await runCommand(rest.replace(/--mount=\S+\s+/g, ''), stage, root, env, result)
          break
        case 'USER':
          stage.user = rest
          break
        case 'CMD':
          stage.cmd = JSON.parse(rest) as string[]
          break
        case 'EXPOSE':
        case 'HEALTHCHECK':
        case 'LABEL':
        case 'ARG':
          break
        default:
          throw new Error(`the Dockerfile test cannot run "${line}"; teach test/support/dockerfile-steps.ts`)
      }
    }
  }
  return result
}

// Asynchronous, so the test runner's worker stays responsive during a long npm ci.
const execAsync = promisify(exec)

async function runCommand(command: string, stage: Stage, root: string, env: Record<string, string>, result: RunResult): Promise<void> {
  for (const part of command.split(/\s*&&\s*/)) {
    const cwd = join(root, stage.workdir)
    if (/^npm\s/.test(part)) {
      // ENV of the stage applies, as in the image (NODE_ENV=production in the runtime stage).
      await execAsync(part, { cwd, env: { ...process.env, ...stage.env, ...env }, timeout: 600_000, maxBuffer: 64 * 2 ** 20 })
    } else if (/^mkdir -p\s/.test(part)) {
      for (const p of part.split(/\s+/).slice(2)) mkdirSync(under(root, p, stage.workdir), { recursive: true })
    } else if (/^chown\s/.test(part)) {
      const [, owner, ...paths] = part.split(/\s+/)
      result.chowns.push({ owner: owner!, paths })
    } else {
      throw new Error(`the Dockerfile test cannot run "${part}"; teach test/support/dockerfile-steps.ts`)
    }
    result.ran.push(part)
  }
}
