// Builds the SDKs (`npm run build:sdk`): the browser script (IIFE, window.veil), its ESM module
// and type declarations, and the Node SDK's ESM bundle. `--out DIR` puts the browser files in DIR
// (tests build their own copy); `--no-types` skips the declarations.
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const outIndex = args.indexOf('--out')
const browserOut = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(here, 'browser/dist')
const withTypes = !args.includes('--no-types')

// es2019 keeps the script working on the browsers still in use at plants (no ??, ||= at runtime).
const browser = { absWorkingDir: join(here, '..'), bundle: true, target: 'es2019', platform: 'browser', legalComments: 'none', metafile: true }

const iife = await build({
  ...browser,
  entryPoints: [join(here, 'browser/iife.ts')],
  outfile: join(browserOut, 'veil.min.js'),
  format: 'iife',
  minify: true,
})
await build({ ...browser, entryPoints: [join(here, 'browser/index.ts')], outfile: join(browserOut, 'veil.mjs'), format: 'esm' })
// Which source files the script is made of: the drift test reads it to prove the limits come from catalog.ts.
writeFileSync(join(browserOut, 'veil.min.meta.json'), JSON.stringify(iife.metafile))

if (outIndex < 0) {
  await build({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    entryPoints: [join(here, 'node/index.ts')],
    outfile: join(here, 'node/dist/index.mjs'),
  })
}

if (withTypes) {
  const typesDir = join(browserOut, 'types')
  rmSync(typesDir, { recursive: true, force: true })
  mkdirSync(typesDir, { recursive: true })
  const tsc = join(here, '../node_modules/.bin/tsc')
  const common = ['--ignoreConfig', '--declaration', '--emitDeclarationOnly', '--rewriteRelativeImportExtensions',
    '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--rootDir', here]
  execFileSync(tsc, [...common, '--lib', 'es2022,dom', '--types', '', '--outDir', typesDir, join(here, 'browser/index.ts')], { stdio: 'inherit' })
  writeFileSync(join(browserOut, 'veil.d.mts'), "export * from './types/browser/index.js'\n")
  if (outIndex < 0) {
    const nodeTypes = join(here, 'node/dist/types')
    rmSync(nodeTypes, { recursive: true, force: true })
    execFileSync(tsc, [...common, '--lib', 'es2022', '--types', 'node', '--outDir', nodeTypes, join(here, 'node/index.ts')], { stdio: 'inherit' })
    writeFileSync(join(here, 'node/dist/index.d.mts'), "export * from './types/node/index.js'\n")
  }
}
