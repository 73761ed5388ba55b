// Builds the SDKs (`npm run build:sdk`): the browser script (IIFE, window.veil), its ESM module
// and type declarations, and the Node SDK's ESM bundle and declarations, each into the dist/ of its
// package (sdk/browser = @veil/browser, sdk/node = @veil/node). `--out DIR` puts only the browser
// files in DIR (tests build their own copy); `--packages DIR` builds both packages, package.json
// included, into DIR/browser and DIR/node (ready for `npm pack`); `--no-types` skips declarations.
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const option = (name) => (args.indexOf(name) >= 0 ? resolve(args[args.indexOf(name) + 1]) : undefined)
const browserOnly = option('--out')
const packages = option('--packages')
const browserOut = browserOnly ?? (packages ? join(packages, 'browser/dist') : join(here, 'browser/dist'))
const nodeOut = packages ? join(packages, 'node/dist') : join(here, 'node/dist')
const withTypes = !args.includes('--no-types')

if (packages) {
  for (const pkg of ['browser', 'node']) {
    mkdirSync(join(packages, pkg), { recursive: true })
    copyFileSync(join(here, pkg, 'package.json'), join(packages, pkg, 'package.json'))
  }
}

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

if (!browserOnly) {
  // One file with its dependency (https-proxy-agent) inside: @veil/node installs without a
  // registry, as plants often must, and the file works when copied on its own. Node's builtins
  // stay imports; the bundled CommonJS reaches them through a real require.
  await build({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['node:*'],
    banner: { js: "import { createRequire as __veilRequire } from 'node:module'; const require = __veilRequire(import.meta.url);" },
    legalComments: 'inline',
    entryPoints: [join(here, 'node/index.ts')],
    outfile: join(nodeOut, 'index.mjs'),
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
  if (!browserOnly) {
    const nodeTypes = join(nodeOut, 'types')
    rmSync(nodeTypes, { recursive: true, force: true })
    execFileSync(tsc, [...common, '--lib', 'es2022', '--types', 'node', '--outDir', nodeTypes, join(here, 'node/index.ts')], { stdio: 'inherit' })
    writeFileSync(join(nodeOut, 'index.d.mts'), "export * from './types/node/index.js'\n")
  }
}
